/** The figures of one load level of the e2e benchmark (e2e.bench.ts), and what "sustained" means. */
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import type { Latencies } from "../e2e/probes.ts";
import { type BenchFigure, percentile } from "./types.ts";

export const RATE_HZ = 10;

export interface LevelResult {
  vehicles: number;
  /** Said in the figures' names when the stack ran behind another broker than its own. */
  broker?: string;
  offeredPerS: number;
  receivedPerS: number;
  backlogAtStop: number;
  drainedMs: number;
  /** Everything published reached the bridges and the queues emptied soon after the stop. */
  drained: boolean;
  /** CPU time of the stack's process per message received while measuring, µs. */
  stackCpuUsPerMessage: number;
  /** Cores the load generator (this process: sending the planned load, probes) kept busy while measuring. */
  loadCpuShare: number;
  /** Shares of the time the stack's main thread ran and waited for a core (Linux only). */
  mainThread?: { running: number; waiting: number } | undefined;
  /** Bytes the load's socket had not written 10 s after the load stopped. */
  unsentAtStop: number;
  latencies: Latencies;
  migratedTwins: number;
  migrations: number;
  /** Time until ready of the completed migrations, ms. */
  readyMs: number[];
  publishedToMigrated: number;
  lost: number;
  duplicated: number;
  /** Payloads of the level's load (one per tick at its start): what the JSON.parse floor parses. */
  samplePayloads: Buffer[];
}

/** Aim of issue 19: 2,000 vehicles at 10 Hz on the embedded stack. */
export const AIM_VEHICLES = 2_000;
export const AIM_CPU_US = 60;

/**
 * The floor of the CPU time per message: JSON.parse of the level's own CAMs (from their bytes, as
 * the stack parses them), per message, in this process on the same machine. About 0.3 s of it.
 */
export function jsonParseFloorUs(payloads: readonly Buffer[]): number {
  if (payloads.length === 0) return Number.NaN;
  let sink = 0;
  let parsed = 0;
  const before = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < 300) {
    for (const payload of payloads) {
      sink += Object.keys(JSON.parse(payload.toString("utf8")) as object).length;
      parsed++;
    }
  }
  const cpu = process.cpuUsage(before);
  if (sink < 0) throw new Error("unreachable: keeps the parse from being optimised away");
  return (cpu.user + cpu.system) / parsed;
}

/** CPU time per message that would let the stack take `ratePerS` on the cores left to it. */
export function budgetUsPerMessage(loadCpuShare: number, ratePerS = RATE_HZ * 1_000): number {
  return ((availableParallelism() - loadCpuShare) * 1e6) / ratePerS;
}

/** VVCU_BENCH_E2E_NODE_ARGS: Node flags for the stack under test, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
export function stackNodeArgs(): string[] {
  return (process.env.VVCU_BENCH_E2E_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
}

export const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/**
 * Kept up: the broker took what the vehicles sent (a held-back publisher is a queue growing in
 * front of the stack), the bridges received it while it was sent, and all was drained within 2 s.
 */
export function sustained(result: LevelResult): boolean {
  return (
    result.offeredPerS >= 0.95 * result.vehicles * RATE_HZ &&
    result.receivedPerS >= 0.95 * result.offeredPerS &&
    result.drainedMs < 2_000
  );
}

/**
 * One level's rows. The 1,000-vehicle level carries the aim of issue 6, the 2,000-vehicle level
 * that of issue 19 and, with `jsonParseUs`, its CPU per message beside the JSON.parse floor.
 */
export function levelFigures(result: LevelResult, jsonParseUs?: number): BenchFigure[] {
  const api = sorted(result.latencies.api);
  const dashboard = sorted(result.latencies.dashboard);
  const floor = sorted(result.latencies.floor);
  const via = result.broker === undefined ? "" : `, ${result.broker}`;
  const label = `${result.vehicles.toLocaleString("en-US")} vehicles at ${RATE_HZ} Hz${via}`;
  const p99 = percentile(api, 0.99);
  // The budget is for 10,000 msg/s up to 1,000 vehicles (the rows keep their names), then for the level's rate.
  const budgetRate = Math.max(RATE_HZ * 1_000, result.vehicles * RATE_HZ);
  return [
    {
      name: `publish to API, p50 (${label})`,
      value: percentile(api, 0.5),
      unit: "ms",
      baseline: { name: "floor: MQTT hop + API round trip, p50", value: percentile(floor, 0.5), unit: "ms" },
      notes: `${api.length} samples, ${result.latencies.apiMissed} not visible within 2 s`,
    },
    {
      name: `publish to API, p99 (${label})`,
      value: p99,
      unit: "ms",
      baseline: { name: "floor, p99", value: percentile(floor, 0.99), unit: "ms" },
      ...(result.broker === undefined && (result.vehicles === 1_000 || result.vehicles === AIM_VEHICLES)
        ? {
            aim: `< 100 ms at ${result.vehicles.toLocaleString("en-US")} vehicles, 10 Hz, sustained`,
            met: p99 < 100 && sustained(result),
          }
        : result.broker !== undefined && result.vehicles === 1_000
          ? {
              aim: "< 100 ms at 1,000 vehicles, 10 Hz, sustained (as embedded)",
              met: p99 < 100 && sustained(result),
            }
          : {}),
    },
    {
      name: `publish to dashboard topic, p50 / p99 (${label})`,
      value: percentile(dashboard, 0.5),
      unit: "ms",
      baseline: { name: "p99", value: percentile(dashboard, 0.99), unit: "ms" },
      notes: `${dashboard.length} samples (twin updates are coalesced: the embedded stack sends at most 2 per twin and second)`,
    },
    {
      name: `stack CPU per message (${label})`,
      value: result.stackCpuUsPerMessage,
      unit: "µs",
      baseline: {
        name: `budget for ${budgetRate.toLocaleString("en-US")} msg/s on the cores the load generator leaves (${result.loadCpuShare.toFixed(2)} busy)`,
        value: budgetUsPerMessage(result.loadCpuShare, budgetRate),
        unit: "µs",
      },
      notes: "all threads of the stack's process (broker, bridges, twins, control plane, API, GC)",
    },
    ...(jsonParseUs === undefined || result.vehicles !== AIM_VEHICLES || result.broker !== undefined
      ? []
      : [
          {
            name: `stack CPU per message beside the JSON.parse floor (${label})`,
            value: result.stackCpuUsPerMessage,
            unit: "µs",
            baseline: { name: "JSON.parse of the same CAMs, per message", value: jsonParseUs, unit: "µs" },
            aim: `<= ${AIM_CPU_US} µs per message (${(AIM_VEHICLES * RATE_HZ).toLocaleString("en-US")} msg/s on 2 cores)`,
            met: result.stackCpuUsPerMessage <= AIM_CPU_US && sustained(result),
            notes: `${(result.stackCpuUsPerMessage / jsonParseUs).toFixed(1)} x JSON.parse`,
          },
        ]),
    ...(result.mainThread === undefined
      ? []
      : [
          {
            name: `stack main thread running (${label})`,
            value: result.mainThread.running * 100,
            unit: "%",
            baseline: {
              name: "runnable, waiting for a core",
              value: result.mainThread.waiting * 100,
              unit: "%",
            },
            notes:
              "share of the measured time, from /proc schedstat: the broker, bridges, twins, control plane and API run on this one thread",
          },
        ]),
    {
      name: `messages received (${label})`,
      value: result.receivedPerS,
      unit: "msg/s",
      baseline: { name: "asked", value: result.vehicles * RATE_HZ, unit: "msg/s" },
      notes: `offered ${Math.round(result.offeredPerS)} msg/s (the broker holds the publisher back when full), backlog at stop ${result.backlogAtStop}, ${result.unsentAtStop} bytes unsent by the load, ${result.drained ? `drained in ${Math.round(result.drainedMs)} ms` : "not drained (losses not counted)"}; ${sustained(result) ? "kept up" : "fell behind"}`,
    },
  ];
}
