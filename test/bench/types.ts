/** One figure of `vvcu bench`, always next to what it is compared with, measured in the same run. */
export interface BenchFigure {
  /** What was measured, e.g. "CAM decode (vanetza-nap envelope)". */
  name: string;
  value: number;
  unit: string; // e.g. "msg/s", "ms", "lookups/s"
  /** The naive baseline or physical floor, measured in the same run. */
  baseline?: { name: string; value: number; unit: string };
  /** The aim from the issue, as text, e.g. ">= 2,000,000 lookups/s and >= 20x naive". */
  aim?: string;
  /** Whether the aim was met; undefined when there is no aim. */
  met?: boolean;
  notes?: string;
}

export interface BenchOptions {
  quick: boolean;
}

export interface Benchmark {
  /** Short id, used by `vvcu bench --only ID`. */
  id: string;
  title: string;
  run(options: BenchOptions): Promise<BenchFigure[]>;
}

/** Calls fn repeatedly for about durationMs and returns operations per second. */
export function opsPerSecond(fn: (iteration: number) => void, durationMs: number, batch = 1000): number {
  // Warm up so the JIT has compiled the hot path before we measure.
  for (let i = 0; i < batch; i++) fn(i);
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) fn(iterations + i);
    iterations += batch;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return iterations / seconds;
}

export function percentile(sortedValues: number[], fraction: number): number {
  if (sortedValues.length === 0) return Number.NaN;
  const index = Math.min(sortedValues.length - 1, Math.ceil(fraction * sortedValues.length) - 1);
  return sortedValues[Math.max(0, index)] as number;
}

/** The vanetza-nap CAM envelope the benchmarks decode and apply (a realistic 1.7 KB message). */
export const SAMPLE_CAM_FIXTURE = new URL("../fixtures/cits/vanetza-out-cam.json", import.meta.url).pathname;
