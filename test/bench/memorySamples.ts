/**
 * The stack's memory, sampled from outside while it runs: the resident set from /proc, and the V8
 * heap in use from its /metrics (prom-client's default metrics, main thread). RSS holds garbage
 * until V8 collects it, and V8 lets the old generation grow to a few times what survives before it
 * does; the heap's low points (just after a full collection) show what the twins really keep.
 */
import { maxPerMec } from "../e2e/probes.ts";
import { rssBytes } from "../helpers/rss.ts";

/** prom-client's heap gauge, as the stack's registry names it (functions/lib/metrics.ts). */
const HEAP_USED_METRIC = "vvcu_process_nodejs_heap_size_used_bytes";

export interface MemorySample {
  /** Seconds since the first CAM. */
  atS: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export async function memorySample(pid: number, apiUrl: string, atS: number): Promise<MemorySample> {
  return { atS, rssBytes: rssBytes(pid), heapUsedBytes: await maxPerMec(apiUrl, HEAP_USED_METRIC) };
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
