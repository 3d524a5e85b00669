/**
 * The seam between the bridge and where its events go. Adapters: HTTP to K_SINK (httpDelivery.ts)
 * and in-process to an EventSink (sinkDelivery.ts). A failed delivery throws a DeliveryError that
 * says whether trying again can help, and carries the sink's answer.
 */
import type { CloudEvent } from "cloudevents";
import { type BackoffPolicy, backoffDelay, DELIVERY_BACKOFF } from "./backoff.ts";

export interface Delivery {
  deliver(event: CloudEvent<unknown>): Promise<void>;
  close?(): Promise<void>;
}

export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(
    message: string,
    /** Network error, timeout, 429 or 5xx: the same event may succeed later. */
    readonly retryable: boolean,
    /** The sink's answer, when it answered. */
    readonly status?: number,
    readonly body?: string,
    /** What the sink asked for (Retry-After), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Whether an HTTP status means "try again later". */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

export interface RetryOptions {
  policy?: BackoffPolicy;
  /** Stops retrying (shutdown); the last error is rethrown. */
  signal?: AbortSignal;
  /** Longest wait the sink may ask for with Retry-After. */
  maxRetryAfterMs?: number;
  onRetry?: (error: DeliveryError, attempt: number, delayMs: number) => void;
  random?: () => number;
}

export class DeliveryAborted extends Error {
  override readonly name = "DeliveryAborted";
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError(error instanceof Error ? error.message : String(error), true);
}

/** The answer of a delivery that succeeded at the first attempt, as most do: one object for all. */
const FIRST_ATTEMPT: Readonly<{ attempts: number }> = Object.freeze({ attempts: 1 });

/**
 * Delivers one event, retrying retryable failures with backoff until it succeeds or the signal
 * aborts (then DeliveryAborted: the message stays unacknowledged and the broker redelivers it).
 * A non-retryable failure is thrown at once. The first attempt is made without an async frame:
 * this runs for every message.
 */
export function deliverWithRetry(
  delivery: Delivery,
  event: CloudEvent<unknown>,
  options: RetryOptions = {},
): Promise<{ attempts: number }> {
  if (options.signal?.aborted) return Promise.reject(new DeliveryAborted("delivery stopped: shutting down"));
  let first: Promise<void>;
  try {
    first = delivery.deliver(event);
  } catch (error) {
    first = Promise.reject(error);
  }
  return first.then(
    () => FIRST_ATTEMPT,
    (error: unknown) => retryAfter(delivery, event, options, error),
  );
}

async function retryAfter(
  delivery: Delivery,
  event: CloudEvent<unknown>,
  options: RetryOptions,
  firstError: unknown,
): Promise<{ attempts: number }> {
  const policy = options.policy ?? DELIVERY_BACKOFF;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  let caught = firstError;
  for (let attempt = 0; ; attempt++) {
    const error = asDeliveryError(caught);
    if (!error.retryable) throw error;
    const backoff = backoffDelay(attempt, policy, options.random);
    const delayMs = Math.max(backoff, Math.min(error.retryAfterMs ?? 0, maxRetryAfterMs));
    options.onRetry?.(error, attempt + 1, delayMs);
    await sleep(delayMs, options.signal);
    if (options.signal?.aborted) throw new DeliveryAborted("delivery stopped: shutting down");
    try {
      await delivery.deliver(event);
      return { attempts: attempt + 2 };
    } catch (next) {
      caught = next;
    }
  }
}
