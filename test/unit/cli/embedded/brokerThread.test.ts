import type { MqttClient } from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../../bridges/mqtt/classify.ts";
import { eventId } from "../../../../bridges/mqtt/event.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "../../../../cli/embedded/broker/brokerThread.ts";
import { MAX_AHEAD } from "../../../../cli/embedded/broker/protocol.ts";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import { JsonText } from "../../../../functions/lib/proxy/publisher.ts";
import { connect } from "../../../e2e/harness.ts";
import { camOf, logger, stationOf, until } from "./threadFixtures.ts";

const TOPICS = ["vanetza/out/+"];

/** Kills the broker's thread underneath, as a crash would: the private field is the only way in. */
function killThread(broker: EmbeddedBroker): Promise<number> {
  return (broker as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
}

describe("the embedded broker on its own thread", () => {
  let broker: EmbeddedBroker;
  const clients: MqttClient[] = [];
  const client = async () => {
    const connected = await connect(broker.url);
    clients.push(connected);
    return connected;
  };

  beforeEach(async () => {
    broker = await startEmbeddedBroker(0, "127.0.0.1", logger);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  it("hands every message on the bridges' topics to every bridge, decoded, in publish order, as one shared object", async () => {
    const seen: InboundMessage[][] = [[], []];
    const bridges = seen.map((list) =>
      broker.source.start({ topics: TOPICS, logger, onMessage: (message) => void list.push(message) }),
    );
    const publisher = await client();
    for (let station = 1; station <= 300; station++)
      await publisher.publishAsync("vanetza/out/cam", camOf(station), { qos: 1 });
    await publisher.publishAsync("elsewhere/cam", camOf(999), { qos: 1 });
    await until(() => (seen[1]?.length ?? 0) === 300);
    const [first, second] = seen as [InboundMessage[], InboundMessage[]];
    expect(first.map(stationOf)).toEqual(Array.from({ length: 300 }, (_, index) => String(index + 1)));
    expect(second.every((message, index) => message === first[index])).toBe(true);
    const sample = first[41] as InboundMessage;
    expect(sample.topic).toBe("vanetza/out/cam");
    expect(sample.payload.equals(camOf(42))).toBe(true);
    expect(sample.eventId).toBe(eventId("vanetza/out/cam", camOf(42)));
    expect(sample.decoded).toEqual(decode("vanetza/out/cam", camOf(42), sample.receivedAtMs));
    expect(bridges.every((bridge) => bridge.isConnected())).toBe(true);
    await Promise.all(bridges.map((bridge) => bridge.close()));
  });

  it("leaves a possible CloudEvent and bad input for the bridge to classify", async () => {
    const taken: InboundMessage[] = [];
    broker.source.start({ topics: TOPICS, logger, onMessage: (message) => void taken.push(message) });
    const publisher = await client();
    const structured = JSON.stringify({ specversion: "1.0", id: "e-1", source: "/x", type: "t", data: {} });
    await publisher.publishAsync("vanetza/out/cam", structured, { qos: 1 });
    await publisher.publishAsync("vanetza/out/cam", "{not json", { qos: 1 });
    await until(() => taken.length === 2);
    expect(taken[0]?.decoded).toBeUndefined();
    expect(taken[0]?.payload.toString()).toBe(structured);
    expect(taken[1]?.decoded?.ok === false && taken[1].decoded.rejection.code).toBe("not-json");
    expect(taken[1]?.eventId).toBeUndefined();
  });

  it("keeps serving when a bridge's handler throws, and takes nothing for a bridge after its close", async () => {
    const taken: string[] = [];
    const source = broker.source.start({
      topics: TOPICS,
      logger,
      onMessage: (message) => {
        if (message.payload.toString() === "boom") throw new Error("handler bug");
        taken.push(message.payload.toString());
      },
    });
    const publisher = await client();
    await publisher.publishAsync("vanetza/out/cam", "boom", { qos: 1 });
    await publisher.publishAsync("vanetza/out/cam", "after", { qos: 1 });
    await until(() => taken.length === 1);
    expect(taken).toEqual(["after"]);
    await source.close();
    expect(source.isConnected()).toBe(false);
    await publisher.publishAsync("vanetza/out/cam", "late", { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(taken).toEqual(["after"]);
  });

  it("lets the first bridge that rejects a message report it, once", () => {
    const message: InboundMessage = { topic: "vanetza/out/cam", payload: Buffer.from("x"), receivedAtMs: 0 };
    expect(broker.source.claimRejection(message)).toBe(true);
    expect(broker.source.claimRejection(message)).toBe(false);
    expect(broker.source.claimRejection({ ...message })).toBe(true);
  });

  it("publishes the bridges' dead letters at QoS 1 and the proxy's dashboard topics, retained where asked", async () => {
    const source = broker.source.start({ topics: TOPICS, logger, onMessage: () => {} });
    const listener = await client();
    const received: { topic: string; payload: string; qos: number }[] = [];
    listener.on("message", (topic, payload, packet) =>
      received.push({ topic, payload: payload.toString(), qos: packet.qos }),
    );
    await listener.subscribeAsync("vvcu/deadletter", { qos: 1 });
    await source.publish("vvcu/deadletter", JSON.stringify({ code: "not-json" }));
    await broker.publisher.publish("vvcu/dashboard/test", { speed: 12 }, { retain: true });
    await until(() => received.length === 1);
    expect(received[0]).toEqual({ topic: "vvcu/deadletter", payload: '{"code":"not-json"}', qos: 1 });
    // A subscriber that comes later gets the retained value.
    const late = await client();
    const retained = new Promise<string>((resolve) =>
      late.on("message", (_topic, payload) => resolve(payload.toString())),
    );
    await late.subscribeAsync("vvcu/dashboard/test");
    expect(JSON.parse(await retained)).toEqual({ speed: 12 });
  });

  it("sends the proxy's payloads as their JSON, a JsonText as its text and null as an empty message", async () => {
    const listener = await client();
    const received = new Map<string, string>();
    listener.on("message", (topic, payload) => received.set(topic, payload.toString("utf8")));
    await listener.subscribeAsync("vvcu/dashboard/#", { qos: 0 });
    const value = {
      twin: "1001",
      speedKmh: 12.5,
      name: "Aveiro ção",
      ids: [1, null, "x"],
      nested: { a: true },
    };
    await broker.publisher.publish("vvcu/dashboard/value", value, { retain: false });
    await broker.publisher.publish("vvcu/dashboard/text", new JsonText('[{"id":"a"},{"id":"b"}]'), {
      retain: false,
    });
    await broker.publisher.publish("vvcu/dashboard/empty", null, { retain: false });
    await until(() => received.size === 3);
    expect(Object.fromEntries(received)).toEqual({
      "vvcu/dashboard/value": JSON.stringify(value),
      "vvcu/dashboard/text": '[{"id":"a"},{"id":"b"}]',
      "vvcu/dashboard/empty": "",
    });
  });

  it("waits for a full bridge without reordering, and holds a publishing client once too much waits, not the others", async () => {
    let release: () => void = () => {};
    const room = new Promise<void>((resolve) => {
      release = resolve;
    });
    const taken: string[] = [];
    broker.source.start({
      topics: TOPICS,
      logger,
      onMessage: (message) => {
        taken.push(stationOf(message));
        return taken.length === 1 ? room : undefined;
      },
    });
    const [loud, quiet] = await Promise.all([client(), client()]);
    // Far more than may wait (MAX_AHEAD): the broker stops taking this client's.
    const total = MAX_AHEAD + 500;
    let acknowledged = 0;
    const published = Array.from({ length: total }, (_, index) =>
      loud.publishAsync("vanetza/out/cam", camOf(index + 1), { qos: 1 }).then(() => {
        acknowledged++;
      }),
    );
    try {
      await until(() => taken.length === 1);
      // The broker acknowledges a socket read's publications together: wait until that stops.
      let seen = -1;
      while (seen !== acknowledged) {
        seen = acknowledged;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(taken).toEqual(["1"]);
      expect(acknowledged).toBeLessThan(total);
      // Another client's publication to a topic no bridge reads still goes through.
      await quiet.publishAsync("elsewhere/status", "ok", { qos: 1 });
      release();
      await Promise.all(published);
      await until(() => taken.length === total);
      expect(taken).toEqual(Array.from({ length: total }, (_, index) => String(index + 1)));
    } finally {
      // A failed assertion leaves publications unanswered: closing the client fails them, expectedly.
      for (const publication of published) publication.catch(() => {});
    }
  });

  it("starts again on the same port when its thread dies, with the bridges' subscriptions", async () => {
    const taken: string[] = [];
    const source = broker.source.start({
      topics: TOPICS,
      logger,
      onMessage: (message) => void taken.push(stationOf(message)),
    });
    const before = await client();
    await before.publishAsync("vanetza/out/cam", camOf(1), { qos: 1 });
    await until(() => taken.length === 1);
    await killThread(broker);
    expect(source.isConnected()).toBe(false);
    await expect(broker.publisher.publish("vvcu/dashboard/x", 1, { retain: false })).rejects.toThrow(
      /not running/,
    );
    // Clients reconnect, as to a restarted broker.
    let after: MqttClient | undefined;
    for (let tries = 0; after === undefined && tries < 100; tries++) {
      after = await client().catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return undefined;
      });
    }
    expect(source.isConnected()).toBe(true);
    await (after as MqttClient).publishAsync("vanetza/out/cam", camOf(2), { qos: 1 });
    await until(() => taken.length === 2);
    expect(taken).toEqual(["1", "2"]);
  });
});
