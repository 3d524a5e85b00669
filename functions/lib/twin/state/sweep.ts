/**
 * Time-driven changes to twins, pure: liveness (live -> stale after a quiet period), expiry
 * (removed after a longer one), hazards whose validity ended, and message rates decaying to
 * zero when a station falls quiet.
 */

import type { TwinRecord } from "../state/records.ts";
import type { TwinOptions } from "./options.ts";
import { activeHazards, rollRateWindow } from "./reducer.ts";

export type SweepOutcome = "unchanged" | "changed" | "expired";

export function sweepRecord(
  record: TwinRecord,
  nowMs: number,
  options: TwinOptions,
): { record: TwinRecord; outcome: SweepOutcome } {
  const quietMs = nowMs - Date.parse(record.twin.lastSeen);
  if (quietMs >= options.expireAfterMs) return { record, outcome: "expired" };
  const liveness = quietMs >= options.staleAfterMs ? "stale" : "live";
  const hazards = activeHazards(record.twin.hazards, nowMs);
  const rolled = record.accumulators
    ? rollRateWindow(record.accumulators, nowMs, options.rateWindowMs)
    : { window: undefined, rates: undefined };
  const ratesChanged = rolled.rates !== undefined && !sameRates(rolled.rates, record.twin.messageRates);
  if (liveness === record.twin.liveness && hazards === record.twin.hazards && !ratesChanged) {
    // Only the window moved on (or nothing): keep the record as it is, nobody needs to hear of it.
    return { record, outcome: "unchanged" };
  }
  const twin = { ...record.twin, liveness, hazards } as TwinRecord["twin"];
  if (rolled.rates) twin.messageRates = rolled.rates;
  const next: TwinRecord = { ...record, twin };
  if (rolled.window) next.accumulators = rolled.window;
  return { record: next, outcome: "changed" };
}

/** Sweeps many records: the ones that changed, and the ones that expired. */
export function sweep(
  records: TwinRecord[],
  nowMs: number,
  options: TwinOptions,
): { changed: TwinRecord[]; expired: TwinRecord[] } {
  const changed: TwinRecord[] = [];
  const expired: TwinRecord[] = [];
  for (const record of records) {
    const result = sweepRecord(record, nowMs, options);
    if (result.outcome === "changed") changed.push(result.record);
    else if (result.outcome === "expired") expired.push(record);
  }
  return { changed, expired };
}

function sameRates(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? 0) !== (b[key] ?? 0)) return false;
  return true;
}
