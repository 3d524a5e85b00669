/**
 * Starting a worker thread that says when it is ready (or why it cannot be) in its first
 * messages, and stopping it: the embedded broker's (brokerWorker.ts) and the external broker's
 * subscriber (subscriberWorker.ts).
 */
import { Worker } from "node:worker_threads";
import type { FromBroker, ToBroker } from "./protocol.ts";

const BOOTSTRAP = new URL("../workerBootstrap.mjs", import.meta.url);

export interface WorkerStart<T> {
  /** The worker's module, loaded by workerBootstrap.mjs. */
  entry: string;
  workerData: object;
  name: string;
  /** Said in errors: "the embedded broker's thread". */
  what: string;
  timeoutMs: number;
  /** What a message says about the start: a value when ready, an error when not, undefined: neither. */
  outcome(message: FromBroker): { ready: T } | { failed: Error } | undefined;
}

/**
 * Starts the worker: the caller can listen to it at once (nothing it says is missed); `ready`
 * resolves with what its ready message said, or rejects (the worker is then terminated).
 */
export function startWorker<T>(start: WorkerStart<T>): { worker: Worker; ready: Promise<T> } {
  const worker = new Worker(BOOTSTRAP, {
    workerData: { ...start.workerData, entry: start.entry },
    name: start.name,
  });
  let onMessage: (message: FromBroker) => void = () => {};
  let onError: (error: Error) => void = () => {};
  let onExit: (code: number) => void = () => {};
  const ready = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${start.what} did not start within ${start.timeoutMs} ms`));
    }, start.timeoutMs);
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      outcome();
    };
    onError = (error) => settle(() => reject(error));
    onExit = (code) => settle(() => reject(new Error(`${start.what} exited with code ${code}`)));
    onMessage = (message) => {
      const outcome = start.outcome(message);
      if (outcome === undefined) return;
      if ("ready" in outcome) settle(() => resolve(outcome.ready));
      else
        settle(() => {
          void worker.terminate();
          reject(outcome.failed);
        });
    };
    worker.on("message", onMessage).once("error", onError).once("exit", onExit);
  });
  return { worker, ready };
}

/**
 * Asks the worker to close (it finishes its broker session cleanly) and terminates it if it has
 * not exited within `timeoutMs`.
 */
export async function stopWorker(worker: Worker, timeoutMs: number): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  worker.postMessage({ kind: "close" } satisfies ToBroker);
  const timer = setTimeout(() => void worker.terminate(), timeoutMs);
  await exited;
  clearTimeout(timer);
}
