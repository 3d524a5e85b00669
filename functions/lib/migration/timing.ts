/** Deadlines for driver calls: drivers get a signal, and the engine does not trust them to honour it. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

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
