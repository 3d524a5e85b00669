/**
 * The stack's memory, sampled from outside while it runs: the resident set from /proc, and the V8
 * heap in use from its /metrics (prom-client's default metrics, main thread). RSS holds garbage
 * until V8 collects it, and V8 lets the old generation grow to a few times what survives before it
 * does; the heap's low points (just after a full collection) show what the twins really keep.
 */
import { readFile } from "node:fs/promises";
import { maxPerMec } from "../e2e/probes.ts";

/** prom-client's heap gauge, as the stack's registry names it (functions/lib/metrics.ts). */
const HEAP_USED_METRIC = "vvcu_process_nodejs_heap_size_used_bytes";

export interface MemorySample {
  /** Seconds since the first CAM. */
  atS: number;
  rssBytes: number;
  heapUsedBytes: number;
}

/** The process's resident set, bytes (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

export async function memorySample(pid: number, apiUrl: string, atS: number): Promise<MemorySample> {
  const [rss, heapUsed] = await Promise.all([rssBytes(pid), maxPerMec(apiUrl, HEAP_USED_METRIC)]);
  return { atS, rssBytes: rss, heapUsedBytes: heapUsed };
}

/**
 * The heap's lowest reading among the samples taken from `fromS` to `toS`: near enough what
 * survived the last full collection in that span, when the span holds one (at 1,000 vehicles a
 * full collection comes every 20 to 30 s).
 */
export function heapLowPoint(samples: readonly MemorySample[], fromS: number, toS: number): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const sample of samples) {
    if (sample.atS >= fromS && sample.atS <= toS) lowest = Math.min(lowest, sample.heapUsedBytes);
  }
  return lowest === Number.POSITIVE_INFINITY ? Number.NaN : lowest;
}
