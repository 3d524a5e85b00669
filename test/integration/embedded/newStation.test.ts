import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningStack, startStack } from "../../../cli/embedded/stack.ts";
import { loadConfig } from "../../../functions/lib/config.ts";
import { connect, eventually, publishCam } from "../../e2e/harness.ts";
import { freePort } from "../../helpers/servers.ts";

// South of the border is mec-b's zone, north of it mec-a's (the bundled Aveiro topology).
const IN_MEC_B = { lat: 40.636, lon: -8.646 };
const IN_MEC_A = { lat: 40.645, lon: -8.646 };

describe("a new station at the MEC border (embedded stack, in process)", { timeout: 60_000 }, () => {
  let stack: RunningStack;
  let journalDir: string;

  beforeAll(async () => {
    journalDir = await mkdtemp(path.join(os.tmpdir(), "vvcu-newstation-"));
    const config = loadConfig({
      MQTT_PORT: String(await freePort()),
      VVCU_API_PORT: String(await freePort()),
      VVCU_SIM: "0",
      LOG_LEVEL: "warn",
    });
    stack = await startStack({
      config,
      listenHost: "127.0.0.1",
      simVehicles: 0,
      simRateHz: 10,
      journalFile: path.join(journalDir, "migrations.jsonl"),
    });
  });

  afterAll(async () => {
    await stack?.close();
    await rm(journalDir, { recursive: true, force: true });
  });

  it("gets one twin, where its first message was, even when the next comes from the other zone", async () => {
    const client = await connect(stack.brokerUrl);
    const stationId = 4711;
    const nowMs = Date.now();
    // Both in one write: the bridges see the second before the control plane heard of the first.
    await Promise.all([
      publishCam(client, stationId, { ...IN_MEC_B, speed: 10, heading: 0, timeMs: nowMs }),
      publishCam(client, stationId, { ...IN_MEC_A, speed: 10, heading: 0, timeMs: nowMs + 100 }),
    ]);
    await client.endAsync();
    const [mecA, mecB] = stack.hosts;
    expect([mecA?.mec, mecB?.mec]).toEqual(["mec-a", "mec-b"]);
    const atB = await eventually("both CAMs applied to the twin at mec-b", async () => {
      const twin = await mecB?.twins.twin(String(stationId));
      return twin !== undefined && twin.messages.cam === 2 ? twin : undefined;
    });
    expect(atB.mec).toBe("mec-b");
    expect(await mecA?.twins.twin(String(stationId))).toBeUndefined();
    expect(stack.homes.homeOf(String(stationId))).toBe("mec-b");
  });
});
