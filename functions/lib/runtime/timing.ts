/** Deadlines for driver calls: drivers get a signal, and the engine does not trust them to honour it. */
import { metrics } from "../metrics.ts";

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs `work` with a signal that aborts when `parent` aborts or after `timeoutMs`, and rejects
 * at that moment even if `work` ignores its signal.
 */
export async function bounded<T>(
  what: string,
  timeoutMs: number,
  parent: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onParentAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    const stop = (error: Error) => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(() => stop(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    onParentAbort = () => stop(new Error(`${what} aborted: ${errorMessage(parent.reason)}`));
    if (parent.aborted) onParentAbort();
    else parent.addEventListener("abort", onParentAbort, { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (onParentAbort !== undefined) parent.removeEventListener("abort", onParentAbort);
  }
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Asks `check` every `intervalMs` until it returns a value (not undefined); rejects when
 * `check` throws, after `timeoutMs` (naming `what` and the last state seen), or on abort.
 */
export async function pollUntil<T>(
  what: string,
  options: { timeoutMs: number; intervalMs: number; signal: AbortSignal },
  check: (signal: AbortSignal) => Promise<{ done: T } | { waiting: string }>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "not asked yet";
  for (;;) {
    options.signal.throwIfAborted();
    const remaining = deadline - Date.now();
    const notDone = () => new Error(`${what}: not done after ${options.timeoutMs} ms (last: ${last})`);
    if (remaining <= 0) throw notDone();
    let result: { done: T } | { waiting: string };
    try {
      result = await bounded(what, remaining, options.signal, check);
    } catch (error) {
      // A check cut short by the deadline is the deadline's failure, told the same way.
      if (Date.now() >= deadline && !options.signal.aborted) throw notDone();
      throw error;
    }
    if ("done" in result) return result.done;
    last = result.waiting;
    await sleepUnlessAborted(
      Math.min(options.intervalMs, Math.max(0, deadline - Date.now())),
      options.signal,
    );
  }
}

/** Times one call to an orchestrator (OSM's NBI, a Kubernetes API) into orchestratorCallSeconds. */
export async function timedOrchestratorCall<T>(
  driver: string,
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  const stop = metrics.orchestratorCallSeconds.startTimer({ driver, operation });
  try {
    const result = await work();
    stop({ outcome: "ok" });
    return result;
  } catch (error) {
    stop({ outcome: "error" });
    throw error;
  }
}
