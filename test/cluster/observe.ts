/**
 * What the cluster tests look at, the way a user or an operator does: the broker's traffic (CAMs
 * per station, the dashboard topics), each MEC's manager API, each process's /metrics, and the
 * simulator run as `vvcu sim` against the shared broker.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { DASHBOARD_PREFIX } from "../../functions/lib/topics.ts";
import { repoRoot } from "./image.ts";
import type { Mec } from "./mec.ts";

export interface BrokerWatch {
  /** CAMs the broker delivered, per station id. */
  camsByStation: Map<string, number>;
  /** Dashboard publications, by topic, in order. */
  dashboard: Map<string, unknown[]>;
  close(): Promise<void>;
}

/** Subscribes (QoS 1, so every message counts once) to the CAM input and the dashboard topics. */
export async function watchBroker(url: string): Promise<BrokerWatch> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `vvcu-cluster-test-${process.pid}`,
    connectTimeout: 5_000,
  });
  const camsByStation = new Map<string, number>();
  const dashboard = new Map<string, unknown[]>();
  client.on("message", (topic, payload) => {
    if (topic.startsWith(`${DASHBOARD_PREFIX}/`)) {
      if (payload.length === 0) return;
      const list = dashboard.get(topic) ?? [];
      list.push(JSON.parse(payload.toString()));
      dashboard.set(topic, list);
      return;
    }
    const station = stationOf(JSON.parse(payload.toString()));
    if (station !== undefined) camsByStation.set(station, (camsByStation.get(station) ?? 0) + 1);
  });
  await client.subscribeAsync({ "vanetza/out/cam": { qos: 1 }, [`${DASHBOARD_PREFIX}/#`]: { qos: 1 } });
  return { camsByStation, dashboard, close: () => client.endAsync() };
}

/** The station id of a Vanetza JSON CAM (its stationID, as the simulator writes it). */
function stationOf(message: unknown): string | undefined {
  const id = (message as { stationID?: number }).stationID;
  return id === undefined ? undefined : String(id);
}

/** `vvcu sim` until it exits (its --duration). */
export async function runSimulator(brokerUrl: string, args: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, "bin", "vvcu.js"), "sim", "--url", brokerUrl, ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`vvcu sim exited with ${code}:\n${output}`);
  return output;
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as T };
}

export async function twinAt(mec: Mec, id: string): Promise<Twin | undefined> {
  const { status, body } = await getJson<Twin>(`${mec.url("manager")}/api/v1/twins/${id}`);
  return status === 200 ? body : undefined;
}

export async function twinsAt(mec: Mec): Promise<Twin[]> {
  return (await getJson<Twin[]>(`${mec.url("manager")}/api/v1/twins`)).body;
}

export async function migrationsAt(mec: Mec, twin?: string): Promise<Migration[]> {
  const query = twin === undefined ? "" : `?twin=${twin}`;
  return (await getJson<Migration[]>(`${mec.url("manager")}/api/v1/migrations${query}`)).body;
}

export async function requestMigration(mec: Mec, twin: string, target: string) {
  const response = await fetch(`${mec.url("manager")}/api/v1/twins/${twin}/migrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ target }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as Migration };
}

/** Sum of a metric's samples whose labels include `labels` (Prometheus text format). */
export async function metric(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const sample = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    if (Object.entries(labels).every(([key, value]) => sample[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

/** Polls until `probe` gives a value; fails with what it last saw. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) {
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
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
