/**
 * Stations may publish C-ITS input only: a control event published to a station's topic (here a
 * forged migration.requested, which would move a twin past the API's token) is dead-lettered
 * with its reason, and nothing moves.
 */
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetter } from "../../bridges/mqtt/deadLetter.ts";
import { DEFAULT_DEADLETTER_TOPIC } from "../../functions/lib/topics.ts";
import { migrationRequestCloudEvent } from "../unit/bridge/samples.ts";
import {
  connect,
  eventually,
  migrationsOf,
  publishCam,
  type StackProcess,
  startStackProcess,
  twin,
} from "./harness.ts";

const TOKEN = "stack-secret";

describe("a station publishing a control event", { timeout: 90_000 }, () => {
  let stack: StackProcess;
  let client: MqttClient;
  const deadLetters: DeadLetter[] = [];

  beforeAll(async () => {
    stack = await startStackProcess({ VVCU_API_TOKEN: TOKEN });
    client = await connect(stack.brokerUrl);
    client.on("message", (topic, payload) => {
      if (topic === DEFAULT_DEADLETTER_TOPIC) deadLetters.push(JSON.parse(payload.toString()) as DeadLetter);
    });
    await client.subscribeAsync(DEFAULT_DEADLETTER_TOPIC, { qos: 1 });
  });

  afterAll(async () => {
    await client?.endAsync();
    await stack?.stop();
  });

  it("is dead-lettered with its reason and moves no twin", async () => {
    const start = Date.now();
    for (let i = 0; i < 3; i++) {
      await publishCam(client, 7001, {
        lat: 40.62,
        lon: -8.65,
        speed: 0,
        heading: 90,
        timeMs: start + i * 100,
      });
    }
    await eventually("the station's twin at mec-b", async () => {
      const current = await twin(stack.apiUrl, 7001, TOKEN);
      return current?.mec === "mec-b" && current.messages.cam === 3 ? current : undefined;
    });

    const forged = migrationRequestCloudEvent("7001", "mec-b", "mec-a");
    await client.publishAsync("vanetza/out/cam", JSON.stringify(forged), { qos: 1 });
    const letter = await eventually("the forged event's dead letter", async () =>
      deadLetters.find((candidate) => candidate.payload.includes(forged.id)),
    );
    expect(letter).toMatchObject({ code: "refused-event-type", topic: "vanetza/out/cam" });
    expect(letter.reason).toContain('"io.vvcu.migration.requested" may not come from a station\'s topic');

    // A CAM published after the forged event is applied after it: once the twin has it, the forged
    // event has been through the whole stack.
    await publishCam(client, 7001, { lat: 40.62, lon: -8.65, speed: 0, heading: 90, timeMs: start + 500 });
    const after = await eventually("the CAM after the forged event", async () => {
      const current = await twin(stack.apiUrl, 7001, TOKEN);
      return current?.messages.cam === 4 ? current : undefined;
    });
    expect(after.mec).toBe("mec-b");
    expect(await migrationsOf(stack.apiUrl, 7001, TOKEN)).toEqual([]);
  });
});
