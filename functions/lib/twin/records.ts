/** Record helpers both stores share: versioning, snapshots and what a hydrate installs. */
import type { TwinSnapshot } from "./model.ts";
import { APPLIED_EVENT_WINDOW, type TwinRecord } from "./store.ts";

/**
 * The newest applied ids are kept apart and folded into `appliedEventIds` every this many events:
 * copying the whole window on every event was half the cost of applying one.
 */
export const RECENT_EVENT_IDS = 16;

/** Every id in a record's idempotence window, oldest first. */
export function appliedIdsOf(record: TwinRecord): string[] {
  const recent = record.recentEventIds;
  return recent && recent.length > 0 ? [...record.appliedEventIds, ...recent] : record.appliedEventIds;
}

/**
 * Sets of the folded windows, built once per window: a window array is shared, unchanged, by the
 * records of the next 16 events, and a set look-up beats scanning 256 ids on every event.
 */
const windowSets = new WeakMap<readonly string[], Set<string>>();

export function hasApplied(record: TwinRecord, eventId: string): boolean {
  if (record.recentEventIds?.includes(eventId)) return true;
  const window = record.appliedEventIds;
  if (window.length < 32) return window.includes(eventId);
  let set = windowSets.get(window);
  if (!set) {
    set = new Set(window);
    windowSets.set(window, set);
  }
  return set.has(eventId);
}

/** The id fields of a record after applying one more event (the full window is copied 1 in 16 times). */
export function withAppliedId(
  record: TwinRecord | undefined,
  eventId: string,
): Pick<TwinRecord, "appliedEventIds" | "recentEventIds"> {
  const applied = record?.appliedEventIds ?? [];
  const recent = record?.recentEventIds ?? [];
  if (recent.length + 1 < RECENT_EVENT_IDS)
    return { appliedEventIds: applied, recentEventIds: [...recent, eventId] };
  const all = applied.concat(recent);
  all.push(eventId);
  return {
    appliedEventIds: all.length > APPLIED_EVENT_WINDOW ? all.slice(all.length - APPLIED_EVENT_WINDOW) : all,
    recentEventIds: [],
  };
}

/**
 * The record with the store's version stamped on its twin. A twin the updater just made (not the
 * one the store holds) is stamped in place: it belongs to nobody else yet, and copying ~30 fields
 * per event is a good part of the memory-store path's cost.
 */
export function withVersion(record: TwinRecord, version: number, current?: TwinRecord): TwinRecord {
  if (current !== undefined && record.twin === current.twin)
    return { ...record, twin: { ...record.twin, version } };
  record.twin.version = version;
  return record;
}

export function snapshotOf(record: TwinRecord, nowMs = Date.now()): TwinSnapshot {
  const snapshot: TwinSnapshot = {
    twin: structuredClone(record.twin),
    appliedEventIds: [...appliedIdsOf(record)],
    takenAt: new Date(nowMs).toISOString(),
  };
  if (record.accumulators) snapshot.accumulators = structuredClone(record.accumulators);
  return snapshot;
}

/** The record a snapshot installs: the snapshot's, unless the existing state is newer. */
export function hydrated(current: TwinRecord | undefined, snapshot: TwinSnapshot): TwinRecord | undefined {
  if (current && current.twin.sequence > snapshot.twin.sequence) return undefined;
  const record: TwinRecord = {
    twin: structuredClone(snapshot.twin),
    appliedEventIds: [...snapshot.appliedEventIds],
  };
  if (snapshot.accumulators) record.accumulators = structuredClone(snapshot.accumulators);
  return record;
}
