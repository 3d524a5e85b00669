/** Exponential backoff with jitter, for delivery retries and MQTT reconnects. */
export interface BackoffPolicy {
  /** Delay ceiling of the first retry. */
  initialMs: number;
  /** Ceiling of any delay. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
}

export const DELIVERY_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 5_000, factor: 2 };
export const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, factor: 2 };

/** The ceiling for a retry: initial * factor^attempt, capped. attempt counts from 0. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, attempt);
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
}

/**
 * "Equal jitter": half the ceiling fixed, half random. Keeps a floor so retries really back off,
 * and spreads them so many bridges do not hammer a recovering sink in step.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeiling(attempt, policy);
  return ceiling / 2 + (ceiling / 2) * Math.min(1, Math.max(0, random()));
}

/** Retry-After (seconds or an HTTP date) in milliseconds, or undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
