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

/** The aim's span: flat over ten minutes. */
export const FLAT_SPAN_S = 600;

/**
 * Where a run's drift window starts. The twins' histories grow by design until they hold
 * `historyS` seconds, so a run long enough for ten minutes after that is judged from there on;
 * a shorter run's window is its last two thirds (the first third is warm-up: JIT, twins created,
 * buffers sized), and it cannot show flatness.
 */
export function driftWindow(runS: number, historyS: number): { fromS: number; judged: boolean } {
  if (runS >= historyS + FLAT_SPAN_S) return { fromS: historyS, judged: true };
  return { fromS: runS / 3, judged: false };
}

/**
 * RSS drift over a window: the mean RSS of its last `spanS` seconds minus that of its first (each
 * span at most a quarter of the window, so that a short window's two ends stay apart).
 * A single reading carries V8's steps (the heap commits and releases pages by the MiB), so one
 * reading against another would measure where each fell in those steps as much as any growth.
 */
export function rssDrift(
  samples: readonly MemorySample[],
  fromS: number,
  toS: number,
  spanS: number,
): { fromBytes: number; toBytes: number; driftBytes: number; endSpanS: number } {
  const endSpanS = Math.min(spanS, (toS - fromS) / 4);
  const fromBytes = meanRss(samples, fromS, fromS + endSpanS);
  const toBytes = meanRss(samples, toS - endSpanS, toS);
  return { fromBytes, toBytes, driftBytes: toBytes - fromBytes, endSpanS };
}

function meanRss(samples: readonly MemorySample[], fromS: number, toS: number): number {
  let sum = 0;
  let count = 0;
  for (const sample of samples) {
    if (sample.atS < fromS || sample.atS > toS) continue;
    sum += sample.rssBytes;
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}
