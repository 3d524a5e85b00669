/**
 * How a thread spent its time, from Linux's scheduler statistics (/proc/<pid>/task/<tid>/schedstat):
 * running on a core, and runnable but waiting for one. On a machine whose cores the stack shares
 * with its other threads, the load generator and the probes, the waiting is latency that no code
 * of the stack's thread causes. Undefined where /proc has no such file (other systems).
 */
import { readFile } from "node:fs/promises";

export interface ThreadTimes {
  runningNs: number;
  waitingNs: number;
}

export async function threadTimes(pid: number, tid = pid): Promise<ThreadTimes | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
    const [running, waiting] = text.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(running) || !Number.isFinite(waiting)) return undefined;
    return { runningNs: running as number, waitingNs: waiting as number };
  } catch {
    return undefined;
  }
}

/** Shares of `elapsedMs` the thread ran and waited for a core between two readings. */
export function shares(
  before: ThreadTimes | undefined,
  after: ThreadTimes | undefined,
  elapsedMs: number,
): { running: number; waiting: number } | undefined {
  if (before === undefined || after === undefined || elapsedMs <= 0) return undefined;
  return {
    running: (after.runningNs - before.runningNs) / 1e6 / elapsedMs,
    waiting: (after.waitingNs - before.waitingNs) / 1e6 / elapsedMs,
  };
}
