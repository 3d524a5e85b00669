/**
 * The end-to-end harness: starts the real stack as a child process (`node bin/vvcu.js start`)
 * on free ports with the simulator off, and talks to it the way a user does: MQTT in, HTTP out.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt, { type MqttClient } from "mqtt";
import { camMessage } from "../../cli/sim/messages.ts";
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { freePort } from "../helpers/servers.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CLI = path.join(repoRoot, "bin", "vvcu.js");

/**
 * The Node flags of the executable's shebang (`#!/usr/bin/env -S node FLAGS`): the stack under
 * test runs with them, as `npm start` and `npx vvcu start` do.
 */
export function shebangNodeFlags(file: string): string[] {
  const firstLine = readFileSync(file, "utf8").split("\n", 1)[0] ?? "";
  const words = firstLine.replace(/^#!\S*env\s+(-S\s+)?/, "").split(/\s+/);
  if (words[0] !== "node") throw new Error(`${file}: the shebang does not run node: ${firstLine}`);
  return words.slice(1).filter((word) => word.length > 0);
}

export const STACK_NODE_FLAGS = shebangNodeFlags(CLI);

export interface StackProcess {
  apiUrl: string;
  brokerUrl: string;
  dir: string;
  /** The stack's process; its main thread has the same id. */
  pid: number | undefined;
  output(): string;
  /** SIGTERM, then the exit code and how long stopping took. */
  stop(): Promise<{ code: number | null; ms: number }>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `vvcu start ARGS` until it exits by itself (start-up errors), at most `timeoutMs`. */
export function runStartExpectingExit(
  env: Record<string, string>,
  timeoutMs = 20_000,
  args: string[] = [],
): Promise<RunResult> {
  return runCliExpectingExit(["start", ...args], env, timeoutMs);
}

/**
 * Runs `vvcu ARGS` until it exits by itself, at most `timeoutMs` (then SIGKILL: code null).
 * `signalAfter` sends SIGTERM once stdout shows that text.
 */
export async function runCliExpectingExit(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
  options: { signalAfter?: string; cwd?: string } = {},
): Promise<RunResult> {
  const child = spawn(process.execPath, [...STACK_NODE_FLAGS, CLI, ...args], {
    env: { ...process.env, VVCU_SIM: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let stdout = "";
  let stderr = "";
  let signalled = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!signalled && options.signalAfter !== undefined && stdout.includes(options.signalAfter)) {
      signalled = true;
      child.kill("SIGTERM");
    }
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) =>
    child.once("exit", (exitCode) => resolve(exitCode)),
  );
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export async function startStackProcess(
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  args: string[] = [],
): Promise<StackProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-e2e-"));
  const apiPort = await freePort();
  const mqttPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...STACK_NODE_FLAGS, ...nodeArgs, CLI, "start", ...args],
    {
      cwd: dir,
      env: {
        ...process.env,
        VVCU_SIM: "0",
        VVCU_API_PORT: String(apiPort),
        MQTT_PORT: String(mqttPort),
        VVCU_MIGRATION_JOURNAL: path.join(dir, "migrations.jsonl"),
        VVCU_LOG_FILE: path.join(dir, "vvcu.log"),
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const up = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = () => {
        if (output.includes("Ctrl-C stops.")) {
          child.stdout?.off("data", check);
          resolve(true);
        }
      };
      child.stdout?.on("data", check);
    }),
    exited.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000)),
  ]);
  if (!up) {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw new Error(`vvcu start did not come up:\n${output}`);
  }
  const apiUrl = /API\s+(https?:\/\/\S+?)\/api\/v1\/twins/.exec(output)?.[1];
  const brokerUrl = /broker\s+(mqtts?:\/\/\S+)/.exec(output)?.[1];
  if (!apiUrl || !brokerUrl) throw new Error(`no URLs in the start-up output:\n${output}`);
  return {
    apiUrl,
    brokerUrl,
    dir,
    pid: child.pid,
    output: () => output,
    async stop() {
      const started = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(timer);
      const ms = performance.now() - started;
      await rm(dir, { recursive: true, force: true });
      return { code, ms };
    },
  };
}

export async function connect(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, connectTimeout: 5_000, reconnectPeriod: 0 });
}

export interface CamFix {
  lat: number;
  lon: number;
  speed: number;
  heading: number;
  timeMs: number;
}

export async function publishCam(client: MqttClient, stationId: number, fix: CamFix): Promise<void> {
  const payload = camMessage({
    stationId,
    stationType: 5,
    position: { lat: fix.lat, lon: fix.lon },
    altitude: 10,
    heading: fix.heading,
    speed: fix.speed,
    acceleration: 0,
    yawRate: 0,
    length: 4.5,
    width: 1.8,
    lowBeam: false,
    nowMs: fix.timeMs,
    receiverId: 99,
  });
  await client.publishAsync("vanetza/out/cam", JSON.stringify(payload), { qos: 1 });
}

/** The Authorization header of an API token, when the stack has one. */
export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

export async function getJson<T>(url: string, token?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { headers: bearer(token), signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as T };
}

export async function postJson<T>(
  url: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer(token) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Polls until `check` returns a value, or fails with the last thing seen. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 25_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function twin(apiUrl: string, id: number, token?: string): Promise<Twin | undefined> {
  const { status, body } = await getJson<Twin>(`${apiUrl}/api/v1/twins/${id}`, token);
  return status === 200 ? body : undefined;
}

export async function migrationsOf(apiUrl: string, id: number, token?: string): Promise<Migration[]> {
  return (await getJson<Migration[]>(`${apiUrl}/api/v1/migrations?twin=${id}`, token)).body;
}
