/** The twin's message rates: counts per type over a window, turned into rates when it closes. */
import type { MessageType } from "../../cits/types.ts";
import { MESSAGE_TYPES } from "../../cits/types.ts";
import type { TwinAccumulators } from "../../model/twin.ts";

export function newAccumulators(nowMs: number): TwinAccumulators {
  return { speedSamples: 0, rateWindowStartMs: nowMs, rateWindowCounts: {} };
}

/**
 * Counts a message in the rate window. When the window has run its length, its rates are
 * computed and a new window starts with this message.
 */
export function countMessage(
  accumulators: TwinAccumulators,
  type: MessageType,
  nowMs: number,
  windowMs: number,
): { window: TwinAccumulators; rates: Record<string, number> | undefined } {
  const rolled = rollRateWindow(accumulators, nowMs, windowMs);
  const counts = rolled.window.rateWindowCounts;
  // Always a fresh object: the reducer fills it in place.
  return {
    window: {
      speedSamples: rolled.window.speedSamples,
      rateWindowStartMs: rolled.window.rateWindowStartMs,
      rateWindowCounts: countedIn(counts, type),
      // Always set (undefined for nearly every twin), so every window has one shape.
      endedDenms: rolled.window.endedDenms,
    },
    rates: rolled.rates,
  };
}

/** The window's counts with one more of `type`, copied key by key (a spread with a computed key was slow). */
function countedIn(counts: Record<string, number>, type: MessageType): Record<string, number> {
  const next: Record<string, number> = {};
  for (const key in counts) next[key] = counts[key] as number;
  next[type] = (counts[type] ?? 0) + 1;
  return next;
}

/** Closes the rate window when it has run its length: rates per second by type, and a new empty window. */
export function rollRateWindow(
  accumulators: TwinAccumulators,
  nowMs: number,
  windowMs: number,
): { window: TwinAccumulators; rates: Record<string, number> | undefined } {
  const elapsedMs = nowMs - accumulators.rateWindowStartMs;
  if (elapsedMs < windowMs) return { window: accumulators, rates: undefined };
  const rates: Record<string, number> = {};
  for (const type of MESSAGE_TYPES)
    rates[type] = (accumulators.rateWindowCounts[type] ?? 0) / (elapsedMs / 1000);
  return { window: { ...accumulators, rateWindowStartMs: nowMs, rateWindowCounts: {} }, rates };
}
