/**
 * The stack's one session with an external broker (MQTT_URL), against a real Mosquitto: every
 * MEC's bridge reads one shared, decoded copy of each message, and a message is acknowledged only
 * once every bridge is done with it, so the broker redelivers the rest to a restarted thread.
 */
import mqtt from "mqtt";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../../bridges/mqtt/classify.ts";
import { eventId } from "../../../../bridges/mqtt/event.ts";
import {
  type ExternalSubscription,
  startExternalSubscription,
} from "../../../../cli/embedded/broker/subscriberThread.ts";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import { connect } from "../../../e2e/harness.ts";
import { type RunningServer, startMosquitto } from "../../../helpers/servers.ts";
import { camOf, logger, stationOf, until } from "./threadFixtures.ts";

const TOPICS = ["vanetza/out/+"];

/** Kills the thread underneath, as a crash would: the private field is the only way in. */
function killThread(subscription: ExternalSubscription): Promise<number> {
  return (subscription as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
}

describe("the stack's one subscription to an external broker", { timeout: 60_000 }, () => {
  let mosquitto: RunningServer;
  let subscription: ExternalSubscription;
  let session = 0;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
  });
  afterAll(async () => {
    await mosquitto?.dispose();
  });
  beforeEach(async () => {
    subscription = await startExternalSubscription({
      connection: { url: mosquitto.url, protocolVersion: 5 },
      clientId: `vvcu-test-subscriber-${++session}`,
      topics: TOPICS,
      connectTimeoutMs: 5_000,
      logger,
    });
  });
  afterEach(async () => {
    await subscription.close();
  });

  it("hands every message to every bridge once, decoded, in publish order, as one shared object", async () => {
    const seen: InboundMessage[][] = [[], []];
    const bridges = seen.map((list) =>
      subscription.source.start({
        topics: TOPICS,
        logger,
        onMessage: (message, ack) => {
          list.push(message);
          ack();
        },
      }),
    );
    const publisher = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      for (let station = 1; station <= 200; station++)
        await publisher.publishAsync("vanetza/out/cam", camOf(station), { qos: 1 });
      await publisher.publishAsync("elsewhere/cam", camOf(999), { qos: 1 });
      // A binary-mode CloudEvent: its MQTT 5 properties come along, and it is the bridge's to read.
      await publisher.publishAsync("vanetza/out/cam", "{}", {
        qos: 1,
        properties: { userProperties: { specversion: "1.0", id: "e-1" }, contentType: "application/json" },
      });
      await until(() => (seen[1]?.length ?? 0) === 201);
    } finally {
      await publisher.endAsync();
    }
    const [first, second] = seen as [InboundMessage[], InboundMessage[]];
    expect(first.slice(0, 200).map(stationOf)).toEqual(Array.from({ length: 200 }, (_, i) => String(i + 1)));
    expect(second.every((message, index) => message === first[index])).toBe(true);
    const sample = first[41] as InboundMessage;
    expect(sample.payload.equals(camOf(42))).toBe(true);
    expect(sample.eventId).toBe(eventId("vanetza/out/cam", camOf(42)));
    expect(sample.decoded).toEqual(decode("vanetza/out/cam", camOf(42), sample.receivedAtMs));
    const cloudEvent = first[200] as InboundMessage;
    expect(cloudEvent.userProperties).toEqual({ specversion: "1.0", id: "e-1" });
    expect(cloudEvent.contentType).toBe("application/json");
    expect(cloudEvent.decoded).toBeUndefined();
    expect(bridges.every((bridge) => bridge.isConnected())).toBe(true);
  });

  it("acknowledges a message only once every bridge is done: a restarted thread gets the rest again", async () => {
    const taken: { station: string; redelivered: boolean }[][] = [[], []];
    // The second bridge finishes only stations 1 to 5, the first every one.
    subscription.source.start({
      topics: TOPICS,
      logger,
      onMessage: (message, ack, redelivered) => {
        taken[0]?.push({ station: stationOf(message), redelivered });
        ack();
      },
    });
    subscription.source.start({
      topics: TOPICS,
      logger,
      onMessage: (message, ack, redelivered) => {
        taken[1]?.push({ station: stationOf(message), redelivered });
        if (Number(stationOf(message)) <= 5) ack();
      },
    });
    const publisher = await connect(mosquitto.url);
    try {
      for (let station = 1; station <= 10; station++)
        await publisher.publishAsync("vanetza/out/cam", camOf(station), { qos: 1 });
    } finally {
      await publisher.endAsync();
    }
    await until(() => (taken[1]?.length ?? 0) === 10);
    // The acknowledgements of 1 to 5 leave within a turn or two of the threads' event loops.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await killThread(subscription);
    await until(() => (taken[1]?.length ?? 0) === 15);
    const again = taken[1]?.slice(10) ?? [];
    expect(again.map((entry) => entry.station)).toEqual(["6", "7", "8", "9", "10"]);
    expect(again.every((entry) => entry.redelivered)).toBe(true);
    expect(taken[0]?.slice(10).map((entry) => entry.station)).toEqual(["6", "7", "8", "9", "10"]);
  });

  it("publishes the bridges' dead letters and the dashboards over the same session", async () => {
    const reader = await connect(mosquitto.url);
    const received: { topic: string; payload: string; retain: boolean }[] = [];
    reader.on("message", (topic, payload, packet) =>
      received.push({ topic, payload: payload.toString(), retain: packet.retain }),
    );
    try {
      const source = subscription.source.start({ topics: TOPICS, logger, onMessage: () => {} });
      await source.publish("vvcu/deadletter", '{"code":"not-json"}');
      await subscription.publisher.publish("vvcu/dashboard/twin/7", { id: "7" }, { retain: true });
      // Subscribed after: the retained dashboard topic still arrives.
      await reader.subscribeAsync(["vvcu/dashboard/twin/7"], { qos: 0 });
      await until(() => received.length === 1);
      expect(received[0]).toEqual({ topic: "vvcu/dashboard/twin/7", payload: '{"id":"7"}', retain: true });
    } finally {
      await reader.endAsync();
    }
  });
});
