/**
 * Done-when 2 and 3: a sink that answers 503 for two seconds, then recovers; a sink that answers
 * 400 and ten kinds of malformed payload, which land on the dead-letter topic with their reasons
 * while other stations' traffic goes on.
 */
import type { CloudEvent } from "cloudevents";
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge } from "../../../bridges/mqtt/bridge.ts";
import type { DeadLetter } from "../../../bridges/mqtt/deadLetter.ts";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import { MAX_PAYLOAD_BYTES } from "../../../functions/lib/cits/types.ts";
import { httpTransport } from "../../../functions/lib/runtime/emit/httpTransport.ts";
import { DEFAULT_DEADLETTER_TOPIC } from "../../../functions/lib/topics.ts";
import { startMosquitto } from "../../helpers/servers.ts";
import { migrationRequestCloudEvent, structuredCloudEvent, vanetzaCam } from "../../unit/bridge/samples.ts";
import { connectClient, firstDeliveries, startAedes, startSink, waitFor } from "./harness.ts";

const sequenceOf = (event: CloudEvent<unknown>) =>
  Math.round((event.data as CitsMessage).sequence - 1_700_000_000_000);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

function metricValue(text: string, name: string, labels: string): number {
  const line = text.split("\n").find((row) => row.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe("a sink that answers 503 for two seconds", () => {
  it("gets everything once it recovers, in order, with the retries in the metrics", async () => {
    const broker = await startAedes();
    cleanups.push(() => broker.stop());
    // The outage starts with the first event, so that event waits the whole two seconds.
    let failUntil: number | undefined;
    let refused = 0;
    const sink = await startSink(() => {
      failUntil ??= Date.now() + 2_000;
      if (Date.now() < failUntil) {
        refused++;
        return 503;
      }
      return 202;
    });
    cleanups.push(() => sink.close());
    const mec = "sink-503";
    const bridge = await startBridge({
      mec,
      mqtt: { url: broker.url, protocolVersion: 4, topics: ["vanetza/out/+"] },
      sink: httpTransport({ url: sink.url }),
      retryPolicy: { initialMs: 50, maxMs: 800, factor: 2 },
      httpPort: 0,
      httpHost: "127.0.0.1",
    });
    cleanups.push(() => bridge.close());
    await waitFor("the bridge to connect", () => bridge.isReady());
    const publisher: MqttClient = await connectClient(broker.url);
    cleanups.push(() => publisher.endAsync());

    const stations = [1, 2, 3, 4];
    const perStation = 25;
    for (let sequence = 0; sequence < perStation; sequence++) {
      for (const station of stations) {
        await publisher.publishAsync("vanetza/out/cam", vanetzaCam(station, sequence), { qos: 1 });
      }
    }
    await waitFor(
      "every event at the sink",
      () => new Set(sink.received.map((r) => r.event.id)).size === 100,
    );
    // The sink records an event before its answer reaches the bridge.
    await waitFor("the bridge to count every delivery", () => bridge.stats().forwarded === 100);

    const { perStation: delivered } = firstDeliveries(sink.received, sequenceOf);
    for (const station of stations)
      expect(delivered.get(String(station))).toEqual([...Array(perStation).keys()]);
    expect(refused).toBeGreaterThan(0);
    expect(bridge.stats().retries).toBe(refused);

    const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
    expect(metricValue(metrics, "vvcu_bridge_delivery_retries_total", `mec="${mec}"`)).toBe(refused);
    expect(metricValue(metrics, "vvcu_bridge_messages_forwarded_total", `mec="${mec}",type="cam"`)).toBe(100);
    // The first events waited out the outage: some deliveries took longer than a second.
    const underOneSecond = metricValue(
      metrics,
      "vvcu_bridge_delivery_latency_seconds_bucket",
      `le="1",mec="${mec}"`,
    );
    const all = metricValue(metrics, "vvcu_bridge_delivery_latency_seconds_count", `mec="${mec}"`);
    expect(all).toBe(100);
    expect(underOneSecond).toBeLessThan(all);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/health`)).status).toBe(200);
  });
});

const MALFORMED: { topic: string; payload: string | Buffer; code: string }[] = [
  { topic: "vanetza/out/cam", payload: "{oops", code: "not-json" },
  { topic: "vanetza/out/cam", payload: Buffer.from([0xff, 0xfe, 0x01]), code: "not-json" },
  { topic: "vanetza/out/cam", payload: "[1,2]", code: "not-an-object" },
  { topic: "vanetza/out/cam", payload: '"a string"', code: "not-an-object" },
  { topic: "vanetza/out/cam", payload: Buffer.alloc(MAX_PAYLOAD_BYTES + 10, "x"), code: "too-large" },
  { topic: "vanetza/out/xyz", payload: "{}", code: "unknown-message-type" },
  { topic: "its_center/inqueue/json/5/CAM/9/9", payload: "{}", code: "unknown-topic" },
  {
    topic: "vanetza/out/cam",
    payload: JSON.stringify({ timestamp: 1, fields: { header: { messageID: 2 }, cam: {} } }),
    code: "missing-station-id",
  },
  {
    topic: "vanetza/out/cam",
    payload: vanetzaCam(9, 1).replace('"latitude":40.64', '"latitude":"north"'),
    code: "invalid-field",
  },
  {
    topic: "vanetza/out/cam",
    payload: vanetzaCam(9, 1).replace('"speed":10', '"speed":-5'),
    code: "out-of-range",
  },
  {
    topic: "vanetza/out/cam",
    payload: JSON.stringify({ specversion: "1.0", id: "x" }),
    code: "invalid-cloudevent",
  },
  {
    topic: "vanetza/out/cam",
    payload: JSON.stringify(migrationRequestCloudEvent("21", "sink-400", "elsewhere")),
    code: "refused-event-type",
  },
];

describe("a 400 from the sink and malformed input", () => {
  it("land on the dead-letter topic with their reasons, without holding up other stations", async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const good = [21, 22, 23];
    const perStation = 10;
    const goodCount = () => sink.received.filter((r) => r.event.subject !== "rsu-42").length;
    // The sink holds its 400 until every good event arrived: a bridge that made other stations
    // wait behind the refused one would never get there.
    const sink = await startSink(async (event) => {
      if (event.subject !== "rsu-42") return 202;
      await waitFor("the good traffic", () => goodCount() === good.length * perStation);
      return 400;
    }, "lane must be a number");
    cleanups.push(() => sink.close());
    const mec = "sink-400";
    const bridge = await startBridge({
      mec,
      mqtt: { url: broker.url, topics: ["vanetza/out/+", "its_center/inqueue/json/#"] },
      sink: httpTransport({ url: sink.url }),
    });
    cleanups.push(() => bridge.close());
    await waitFor("the bridge to connect", () => bridge.isReady());

    const watcher: MqttClient = await connectClient(broker.url);
    cleanups.push(() => watcher.endAsync());
    const deadLetters: DeadLetter[] = [];
    watcher.on("message", (_topic, payload) =>
      deadLetters.push(JSON.parse(payload.toString()) as DeadLetter),
    );
    await watcher.subscribeAsync(DEFAULT_DEADLETTER_TOPIC, { qos: 1 });

    const publisher: MqttClient = await connectClient(broker.url);
    cleanups.push(() => publisher.endAsync());
    await publisher.publishAsync("vanetza/out/cam", JSON.stringify(structuredCloudEvent), { qos: 1 });
    for (const { topic, payload } of MALFORMED) await publisher.publishAsync(topic, payload, { qos: 1 });
    for (let sequence = 0; sequence < perStation; sequence++) {
      for (const station of good)
        await publisher.publishAsync("vanetza/out/cam", vanetzaCam(station, sequence), { qos: 1 });
    }

    await waitFor("every dead letter", () => deadLetters.length === MALFORMED.length + 1);
    const { perStation: delivered } = firstDeliveries(sink.received, sequenceOf);
    for (const station of good) expect(delivered.get(String(station))).toEqual([...Array(perStation).keys()]);

    const byCode = (code: string) => deadLetters.filter((letter) => letter.code === code);
    for (const { topic, code } of MALFORMED) {
      const letter = byCode(code).find((candidate) => candidate.topic === topic);
      expect(letter, `${code} on ${topic}`).toBeDefined();
      expect(letter?.reason.length).toBeGreaterThan(10);
      expect(letter?.mec).toBe(mec);
    }
    expect(byCode("not-json").find((letter) => letter.payloadEncoding === "base64")?.payload).toBe(
      Buffer.from([0xff, 0xfe, 0x01]).toString("base64"),
    );
    const tooLarge = byCode("too-large")[0];
    expect(tooLarge?.truncated).toBe(true);
    expect(tooLarge?.payloadBytes).toBe(MAX_PAYLOAD_BYTES + 10);
    expect(tooLarge?.payload.length).toBe(4096);

    const refused = byCode("sink-rejected")[0];
    expect(refused?.sink).toEqual({ status: 400, body: "lane must be a number" });
    expect(refused?.topic).toBe("vanetza/out/cam");
    expect(JSON.parse(refused?.payload ?? "")).toEqual(structuredCloudEvent);

    await waitFor(
      "the bridge to count every delivery",
      () => bridge.stats().forwarded === good.length * perStation,
    );
    const stats = bridge.stats();
    expect(stats.rejected).toEqual({
      "not-json": 2,
      "not-an-object": 2,
      "too-large": 1,
      "unknown-message-type": 1,
      "unknown-topic": 1,
      "missing-station-id": 1,
      "invalid-field": 1,
      "out-of-range": 1,
      "invalid-cloudevent": 1,
      "refused-event-type": 1,
      "sink-rejected": 1,
    });
    expect(stats.forwarded).toBe(good.length * perStation);
  });
});
