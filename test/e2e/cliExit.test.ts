/**
 * Commands that cannot do what they were asked end at once, non-zero, with a sentence naming the
 * problem, and leave nothing running behind.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startMosquitto, waitForPort } from "../helpers/servers.ts";
import { runCliExpectingExit } from "./harness.ts";

async function listening(port: number): Promise<boolean> {
  return waitForPort(port, 200).then(
    () => true,
    () => false,
  );
}

describe("vvcu commands that cannot run end with a clear reason", { timeout: 60_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-cli-exit-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startWith(args: string[]) {
    const apiPort = await freePort();
    const mqttPort = await freePort();
    const result = await runCliExpectingExit(["start", ...args], {
      VVCU_API_PORT: String(apiPort),
      MQTT_PORT: String(mqttPort),
      VVCU_MIGRATION_JOURNAL: path.join(dir, "journal.jsonl"),
      VVCU_SIM: "2",
    });
    return { result, apiPort, mqttPort };
  }

  it.each([
    [["--rate", "11"], "--rate must be between 1 and 10 Hz, got '11'"],
    [["--summary-interval", "0"], "--summary-interval must be a positive number, got '0'"],
  ])("vvcu start %j refuses before starting a broker or an API", async (args, message) => {
    const { result, apiPort, mqttPort } = await startWith(args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain("stack up");
    expect(await listening(apiPort)).toBe(false);
    expect(await listening(mqttPort)).toBe(false);
  });

  it("vvcu start --listen 999.1.1.1 names the listen address, not a port", async () => {
    const { result } = await startWith(["--listen", "999.1.1.1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--listen 999.1.1.1: cannot listen on this address");
    expect(result.stderr).not.toContain("VVCU_API_PORT");
  });

  it("vvcu sim --record into a missing directory exits non-zero at once, saying which file", async () => {
    const broker = await startMosquitto();
    try {
      const file = path.join(dir, "missing-dir", "x.jsonl");
      const result = await runCliExpectingExit(["sim", "--url", broker.url, "--record", file], {}, 15_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cannot write trace ${file}`);
    } finally {
      await broker.dispose();
    }
  });

  it("vvcu sim stops on SIGTERM", async () => {
    const broker = await startMosquitto();
    try {
      const file = path.join(dir, "trace.jsonl");
      const result = await runCliExpectingExit(
        ["sim", "--url", broker.url, "--record", file, "--vehicles", "1"],
        {},
        15_000,
        { signalAfter: "vvcu sim: connected to" },
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/recorded \d+ messages/);
    } finally {
      await broker.dispose();
    }
  });
});
