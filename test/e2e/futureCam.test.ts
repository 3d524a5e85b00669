/**
 * A CAM stamped in the future against a running stack: dead-lettered with its reason, and the
 * station's twin goes on following its real CAMs.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { camMessage } from "../../cli/sim/messages.ts";
import { DEFAULT_DEADLETTER_TOPIC } from "../../functions/lib/topics.ts";
import { connect, eventually, publishCam, type StackProcess, startStackProcess, twin } from "./harness.ts";

const STATION = 4242;
const LON = -8.653;

function cam(lat: number, timestamp: number): string {
  const message = camMessage({
    stationId: STATION,
    stationType: 5,
    position: { lat, lon: LON },
    altitude: 10,
    heading: 0,
    speed: 1,
    acceleration: 0,
    yawRate: 0,
    length: 4.5,
    width: 1.8,
    lowBeam: false,
    nowMs: Date.now(),
    receiverId: 99,
  }) as Record<string, unknown>;
  return JSON.stringify({ ...message, timestamp });
}

describe("a CAM from the future", { timeout: 90_000 }, () => {
  let stack: StackProcess;
  let client: MqttClient;
  const deadLetters: { code: string; reason: string }[] = [];

  beforeAll(async () => {
    stack = await startStackProcess();
    client = await connect(stack.brokerUrl);
    client.on("message", (topic, payload) => {
      if (topic === DEFAULT_DEADLETTER_TOPIC) deadLetters.push(JSON.parse(payload.toString()));
    });
    await client.subscribeAsync(DEFAULT_DEADLETTER_TOPIC, { qos: 1 });
  });

  afterAll(async () => {
    await client?.endAsync();
    await stack?.stop();
  });

  it.each([
    ["an hour ahead", () => Date.now() / 1000 + 3600],
    ["stamped 1e300", () => 1e300],
  ])("%s is dead-lettered as time-ahead and does not pin the twin", async (_name, futureTimestamp) => {
    const start = 40.62 + Math.random() / 100;
    await publishCam(client, STATION, { lat: start, lon: LON, speed: 1, heading: 0, timeMs: Date.now() });
    await eventually("the twin at its first position", async () => {
      const current = await twin(stack.apiUrl, STATION);
      return current?.position?.lat !== undefined && Math.abs(current.position.lat - start) < 1e-7
        ? current
        : undefined;
    });
    const before = deadLetters.length;
    await client.publishAsync("vanetza/out/cam", cam(start + 0.001, futureTimestamp()), { qos: 1 });
    const letter = await eventually("the dead letter", async () =>
      deadLetters.slice(before).find((entry) => entry.code === "time-ahead"),
    );
    expect(letter.reason).toMatch(
      /ahead of the receiver's clock \(at most 60 s allowed, VVCU_MAX_CLOCK_AHEAD_S\)/,
    );
    // The real CAMs after it still move the twin.
    for (let step = 1; step <= 3; step++) {
      const lat = start + step * 0.0002;
      await publishCam(client, STATION, { lat, lon: LON, speed: 1, heading: 0, timeMs: Date.now() });
      await eventually(
        `the twin at real position ${step}`,
        async () => {
          const current = await twin(stack.apiUrl, STATION);
          return current?.position?.lat !== undefined && Math.abs(current.position.lat - lat) < 1e-7
            ? current
            : undefined;
        },
        10_000,
      );
    }
  });
});
