/**
 * A station's time, judged against the receiver's clock. A message stamped far ahead would become
 * the twin's latest (its sequence is its time), and every real message after it would count as
 * late: one message could pin a twin for good. Messages far in the past are kept: a broker that
 * held them through an outage delivers them late, and a late message never moves a twin back.
 */

/** How far ahead of the receiver's clock a station's time may be; VVCU_MAX_CLOCK_AHEAD_S. */
export const DEFAULT_MAX_CLOCK_AHEAD_MS = 60_000;

/** Why `timeMs` is not acceptable at `receivedAtMs`, or undefined when it is. Pure. */
export function timeAheadRejection(
  timeMs: number,
  receivedAtMs: number,
  maxAheadMs: number,
): string | undefined {
  if (!Number.isFinite(timeMs)) return `its time (${timeMs}) is not a number of milliseconds`;
  const aheadMs = timeMs - receivedAtMs;
  if (aheadMs <= maxAheadMs) return undefined;
  const shown = Number.isFinite(new Date(timeMs).getTime())
    ? new Date(timeMs).toISOString()
    : `${timeMs} ms since 1970`;
  return `its time ${shown} is ${(aheadMs / 1000).toFixed(1)} s ahead of the receiver's clock (at most ${maxAheadMs / 1000} s allowed, VVCU_MAX_CLOCK_AHEAD_S)`;
}
