/**
 * Passwords in MQTT_URL never reach the terminal: not in `vvcu start`'s banner, not in its error
 * for an unreachable broker, not in `vvcu sim`'s output.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { CLI, type RunResult, runStartExpectingExit, startStackProcess } from "./harness.ts";

const PASSWORD = "hunter2-do-not-print";

function withCredentials(url: string): string {
  return url.replace("mqtt://", `mqtt://vvcu:${PASSWORD}@`);
}

async function runSim(args: string[], timeoutMs = 30_000): Promise<RunResult> {
  const child = spawn(process.execPath, [CLI, "sim", ...args], {
    env: { ...process.env, LOG_LEVEL: "silent" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe("a password in MQTT_URL", { timeout: 90_000 }, () => {
  let broker: RunningServer;
  let dir: string;

  beforeAll(async () => {
    // Anonymous Mosquitto takes any user name and password: the point is what vvcu prints.
    broker = await startMosquitto();
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-secrets-"));
  });

  afterAll(async () => {
    await broker?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("is not in vvcu start's banner", async () => {
    const stack = await startStackProcess({ MQTT_URL: withCredentials(broker.url) });
    try {
      expect(stack.output()).toContain(`broker   mqtt://***@127.0.0.1:${broker.port}`);
      expect(stack.output()).not.toContain(PASSWORD);
    } finally {
      await stack.stop();
    }
  });

  it("is not in the error for an unreachable broker", async () => {
    const nobody = await freePort();
    const result = await runStartExpectingExit({
      VVCU_MIGRATION_JOURNAL: path.join(dir, "journal.jsonl"),
      VVCU_API_PORT: String(await freePort()),
      MQTT_URL: `mqtt://vvcu:${PASSWORD}@127.0.0.1:${nobody}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot reach the MQTT broker at mqtt://***@127.0.0.1:${nobody}`);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it("is not in vvcu sim's output, connected or not", async () => {
    const connected = await runSim([
      "--url",
      withCredentials(broker.url),
      "--vehicles",
      "1",
      "--duration",
      "1",
    ]);
    expect(connected.code).toBe(0);
    expect(connected.stdout).toContain(`vvcu sim: connected to mqtt://***@127.0.0.1:${broker.port}`);
    expect(connected.stdout + connected.stderr).not.toContain(PASSWORD);

    const nobody = await freePort();
    const unreachable = await runSim(["--url", `mqtt://vvcu:${PASSWORD}@127.0.0.1:${nobody}`]);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toContain(`cannot reach the MQTT broker at mqtt://***@127.0.0.1:${nobody}`);
    expect(unreachable.stdout + unreachable.stderr).not.toContain(PASSWORD);
  });
});
