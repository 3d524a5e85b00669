import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Aedes } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTraceEntry, parseTraceLine, recordTrace, replayTrace } from "../../../../cli/sim/trace.ts";

describe("trace lines", () => {
  it("round-trips an entry, keeping the payload byte for byte", () => {
    const entry = { time: 125, topic: "vanetza/out/cam", payload: '{"stationID": 7, "x": [1,2]}' };
    expect(parseTraceLine(formatTraceEntry(entry), "t:1")).toEqual(entry);
  });

  it("accepts an object payload in a hand-written trace", () => {
    expect(parseTraceLine('{"time": 0, "topic": "a/b", "payload": {"k": 1}}', "t:1").payload).toBe('{"k":1}');
  });

  it.each([
    ["not json", /t:3: not JSON/],
    ["[1]", /t:3: expected an object/],
    ['{"time": -1, "topic": "a", "payload": ""}', /t:3: time must be/],
    ['{"time": 0, "topic": "a/#", "payload": ""}', /t:3: topic must be/],
    ['{"time": 0, "topic": "a"}', /t:3: payload is missing/],
  ])("names the line of a bad entry: %s", (line, error) => {
    expect(() => parseTraceLine(line, "t:3")).toThrow(error);
  });
});

describe("record and replay against a broker", () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;
  let dir: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-trace-"));
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  async function client(): Promise<MqttClient> {
    const connected = await mqtt.connectAsync(url, { protocolVersion: 4, connectTimeout: 5000 });
    clients.push(connected);
    return connected;
  }

  it("records live traffic and replays it in order with its timing", async () => {
    const file = path.join(dir, "live.jsonl");
    const recorderClient = await client();
    const recorder = await recordTrace(recorderClient, file, ["vanetza/out/+", "obu/inqueue/json/#"]);
    const publisher = await client();
    const sent = [
      ["vanetza/out/cam", '{"n":1}'],
      ["obu/inqueue/json/7/LOGS/network", '{"n":2}'],
      ["not/recorded", '{"n":3}'],
      ["vanetza/out/cam", "not json at all"],
    ] as const;
    for (const [topic, payload] of sent) {
      await publisher.publishAsync(topic, payload, { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    await recorder.close();
    expect(recorder.recorded()).toBe(3);
    const lines = (await readFile(file, "utf8"))
      .trim()
      .split("\n")
      .map((line, i) => parseTraceLine(line, `${i}`));
    expect(lines.map((e) => [e.topic, e.payload])).toEqual([sent[0], sent[1], sent[3]]);
    expect(lines[0]?.time).toBe(0);
    expect(lines[2]?.time).toBeGreaterThan(lines[1]?.time as number);

    const listener = await client();
    const received: string[] = [];
    listener.on("message", (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await listener.subscribeAsync(["#"], { qos: 1 });
    const replayed = await replayTrace({ client: await client(), file, speed: 0, qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(replayed).toBe(3);
    expect(received).toEqual(lines.map((e) => `${e.topic} ${e.payload}`));
  });

  it("fails clearly on a missing trace and on a bad line", async () => {
    const publisher = await client();
    await expect(
      replayTrace({ client: publisher, file: path.join(dir, "nope.jsonl"), speed: 1 }),
    ).rejects.toThrow(/cannot read trace .*nope\.jsonl/);
    const bad = path.join(dir, "bad.jsonl");
    await writeFile(bad, `${formatTraceEntry({ time: 0, topic: "a", payload: "x" })}\n{oops\n`);
    await expect(replayTrace({ client: publisher, file: bad, speed: 0 })).rejects.toThrow(
      /bad\.jsonl:2: not JSON/,
    );
  });
});
