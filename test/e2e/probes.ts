/**
 * Measuring a running stack from outside: probe stations whose CAMs are timed until the API and
 * the dashboard topic show them, the floor (one MQTT hop plus one API round trip), and the
 * stack's own counters from /metrics. Used by the e2e benchmark.
 */
import { performance } from "node:perf_hooks";
import type { MqttClient } from "mqtt";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { dashboardTopics } from "../../functions/lib/topics.ts";
import { getJson, publishCam, type StackProcess } from "./harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Probe CAMs per second, as a vehicle at 10 Hz. */
export const PROBE_RATE_HZ = 10;

/** Sum of a metric's samples per `mec` label, then the largest (every bridge reads every message). */
export async function maxPerMec(apiUrl: string, metric: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const perMec = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const mec = /mec="([^"]*)"/.exec(line)?.[1] ?? "";
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) perMec.set(mec, (perMec.get(mec) ?? 0) + value);
  }
  return Math.max(0, ...perMec.values());
}

export async function backlog(apiUrl: string): Promise<number> {
  const [bridge, router] = await Promise.all([
    maxPerMec(apiUrl, "vvcu_bridge_queue_depth_messages"),
    maxPerMec(apiUrl, "vvcu_router_queue_depth_events"),
  ]);
  return bridge + router;
}

export interface Latencies {
  api: number[];
  dashboard: number[];
  floor: number[];
  apiMissed: number;
}

/** A probe station: 10 CAMs a second, each a little further north; times until each is visible. */
export async function probe(
  stack: StackProcess,
  client: MqttClient,
  stationId: number,
  until: number,
  out: Latencies,
): Promise<void> {
  const topic = dashboardTopics.twin(String(stationId));
  const pending = new Map<number, number>();
  const onMessage = (received: string, payload: Buffer) => {
    if (received !== topic || payload.length === 0) return;
    const lat = (JSON.parse(payload.toString()) as { lat?: number }).lat;
    const sentAt = lat === undefined ? undefined : pending.get(Math.round(lat * 1e7));
    if (sentAt !== undefined) out.dashboard.push(performance.now() - sentAt);
  };
  client.on("message", onMessage);
  await client.subscribeAsync(topic, { qos: 0 });
  const lon = -8.66 + (stationId % 10) * 0.002;
  for (let seq = 0; Date.now() < until; seq++) {
    const slot = performance.now();
    const lat = 40.61 + seq * 1e-6;
    const sentAt = performance.now();
    pending.set(Math.round(lat * 1e7), sentAt);
    await publishCam(client, stationId, { lat, lon, speed: 0.1, heading: 0, timeMs: Date.now() });
    let seen = false;
    while (performance.now() - sentAt < 2_000) {
      const { status, body } = await getJson<Twin>(`${stack.apiUrl}/api/v1/twins/${stationId}`);
      if (status === 200 && (body.position?.lat ?? 0) >= lat - 1e-9) {
        seen = true;
        break;
      }
      // Every 2 ms at first, then every 10 ms: a probe that polls a slow stack 500 times a second
      // loads it like a client, and the measurement would lower what it measures.
      await sleep(performance.now() - sentAt < 20 ? 2 : 10);
    }
    if (seen) out.api.push(performance.now() - sentAt);
    else out.apiMissed++;
    await sleep(Math.max(0, 1000 / PROBE_RATE_HZ - (performance.now() - slot)));
  }
  client.off("message", onMessage);
}

/** The floor: one MQTT hop through the same broker, then one API round trip. */
export async function floorProbe(
  stack: StackProcess,
  client: MqttClient,
  until: number,
  out: Latencies,
): Promise<void> {
  const topic = `vvcu-bench/floor/${process.pid}`;
  let arrived: (() => void) | undefined;
  client.on("message", (received) => {
    if (received === topic) arrived?.();
  });
  await client.subscribeAsync(topic, { qos: 0 });
  while (Date.now() < until) {
    const sentAt = performance.now();
    const hop = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    await client.publishAsync(topic, "x", { qos: 0 });
    await Promise.race([hop, sleep(2_000)]);
    await getJson(`${stack.apiUrl}/health`);
    out.floor.push(performance.now() - sentAt);
    await sleep(1000 / PROBE_RATE_HZ);
  }
}
