/**
 * Retry around any EventSink: retryable SinkErrors (network, timeout, 429, 5xx) are tried again with
 * backoff, honouring Retry-After, until the event is taken or the signal aborts. The bridge wraps its
 * transport with it per message; `retrying` makes a sink that does it on every emit (a function's
 * outgoing events).
 */
import { setTimeout as delay } from "node:timers/promises";
import type { CloudEvent } from "cloudevents";
import { type BackoffPolicy, backoffDelay, DELIVERY_BACKOFF } from "../backoff.ts";
import { EmitAborted, type EventSink, SinkError } from "./sink.ts";

export interface RetryOptions {
  policy?: BackoffPolicy;
  /** Stops retrying (shutdown); the last error is rethrown. */
  signal?: AbortSignal;
  /** Longest wait the sink may ask for with Retry-After. */
  maxRetryAfterMs?: number;
  onRetry?: (error: SinkError, attempt: number, delayMs: number) => void;
  random?: () => number;
}

function asDeliveryError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  return new SinkError(error instanceof Error ? error.message : String(error), true);
}

/** The answer of a delivery that succeeded at the first attempt, as most do: one object for all. */
const FIRST_ATTEMPT: Readonly<{ attempts: number }> = Object.freeze({ attempts: 1 });

/**
 * Delivers one event, retrying retryable failures with backoff until it succeeds or the signal
 * aborts (then EmitAborted: the message stays unacknowledged and the broker redelivers it).
 * A non-retryable failure is thrown at once. The first attempt is made without an async frame:
 * this runs for every message.
 */
export function emitWithRetry(
  sink: EventSink,
  event: CloudEvent<unknown>,
  options: RetryOptions = {},
): Promise<{ attempts: number }> {
  if (options.signal?.aborted) return Promise.reject(new EmitAborted("delivery stopped: shutting down"));
  let first: Promise<void>;
  try {
    first = sink.emit(event);
  } catch (error) {
    first = Promise.reject(error);
  }
  return first.then(
    () => FIRST_ATTEMPT,
    (error: unknown) => retryAfter(sink, event, options, error),
  );
}

async function retryAfter(
  sink: EventSink,
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
    // An abort ends the wait early; the check below then stops the retries.
    await delay(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) throw new EmitAborted("delivery stopped: shutting down");
    try {
      await sink.emit(event);
      return { attempts: attempt + 2 };
    } catch (next) {
      caught = next;
    }
  }
}

/** A sink that retries every event on `transport` for at most `deadlineMs` (then the last error is thrown). */
export function retrying(
  transport: EventSink,
  { deadlineMs, ...options }: RetryOptions & { deadlineMs: number },
): EventSink & { close(): Promise<void> } {
  const closing = new AbortController();
  return {
    async emit(event) {
      const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(deadlineMs)]);
      await emitWithRetry(transport, event, { ...options, signal });
    },
    async close() {
      closing.abort();
      await transport.close?.();
    },
  };
}
