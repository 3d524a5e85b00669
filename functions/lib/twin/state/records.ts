/**
 * The twin record, pure: a twin with its version and the ids of recently applied events (the idempotence
 * window), and the helpers both stores share: versioning, snapshots and what a hydrate installs.
 */
import type { Twin, TwinAccumulators, TwinSnapshot } from "../../model/twin.ts";

/** What the store keeps per twin: the state and the ids of recently applied events. */
export interface TwinRecord {
  twin: Twin;
  /** Bounded, most recent last: the idempotence window. */
  appliedEventIds: string[];
  /**
   * The newest applied ids, not yet folded into `appliedEventIds` (fewer than RECENT_EVENT_IDS);
   * together the two are the idempotence window (read them with `appliedIdsOf`, records.ts).
   */
  recentEventIds?: string[];
  /** Running figures behind averageSpeed and messageRates (absent on records written before they existed). */
  accumulators?: TwinAccumulators;
}

/** How many applied event ids a record keeps for idempotence. */
export const APPLIED_EVENT_WINDOW = 256;

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
 * Look-up tables of the folded windows (id -> how many times the window holds it), keyed by the
 * window array. When a window is folded into the next one, its table moves to the new array and
 * is updated by the ids that came and went (two look-ups per event); building a table of 256 ids
 * every 16 events was an eighth of the cost of applying one. An old window asked again (a replay
 * on a stale record) gets its table rebuilt.
 */
const windowTables = new WeakMap<readonly string[], Map<string, number>>();
/** Below this size a scan is cheaper than a table. */
const SCAN_LIMIT = 32;

function tableOf(window: readonly string[]): Map<string, number> {
  let table = windowTables.get(window);
  if (!table) {
    table = new Map();
    for (const id of window) table.set(id, (table.get(id) ?? 0) + 1);
    windowTables.set(window, table);
  }
  return table;
}

/**
 * The newest ids as a set, keyed by the record's recent array and moved to the next one with each
 * event. Scanning the array compared the id with up to 15 strings, each somewhere else in memory:
 * in the running stack, with a thousand twins' windows, that cost a cache miss per string. An old
 * array asked again (a stale record) finds no set and is scanned.
 */
const recentSets = new WeakMap<readonly string[], Set<string>>();
/** Below this many recent ids a scan is cheaper than the set's look-ups. */
const RECENT_SCAN_LIMIT = 4;

function inRecent(recent: readonly string[] | undefined, eventId: string): boolean {
  if (recent === undefined || recent.length === 0) return false;
  if (recent.length < RECENT_SCAN_LIMIT) return recent.includes(eventId);
  const set = recentSets.get(recent);
  return set === undefined ? recent.includes(eventId) : set.has(eventId);
}

/** `recent` with `eventId` appended, its set moved along. */
function appended(recent: readonly string[], eventId: string): string[] {
  const next = [...recent, eventId];
  let set = recentSets.get(recent);
  if (set !== undefined) recentSets.delete(recent);
  else if (next.length >= RECENT_SCAN_LIMIT) set = new Set(recent);
  if (set !== undefined) {
    set.add(eventId);
    recentSets.set(next, set);
  }
  return next;
}

export function hasApplied(record: TwinRecord, eventId: string): boolean {
  if (inRecent(record.recentEventIds, eventId)) return true;
  const window = record.appliedEventIds;
  if (window.length < SCAN_LIMIT) return window.includes(eventId);
  return tableOf(window).has(eventId);
}

/** The id fields of a record after applying one more event (the full window is copied 1 in 16 times). */
export function withAppliedId(
  record: TwinRecord | undefined,
  eventId: string,
): Pick<TwinRecord, "appliedEventIds" | "recentEventIds"> {
  const applied = record?.appliedEventIds ?? [];
  const recent = record?.recentEventIds ?? [];
  if (recent.length + 1 < RECENT_EVENT_IDS)
    return { appliedEventIds: applied, recentEventIds: appended(recent, eventId) };
  // The ids of applied, recent and eventId, in that order, without the `dropped` oldest.
  const total = applied.length + recent.length + 1;
  const dropped = Math.max(0, total - APPLIED_EVENT_WINDOW);
  const idAt = (index: number): string =>
    index < applied.length
      ? (applied[index] as string)
      : index < total - 1
        ? (recent[index - applied.length] as string)
        : eventId;
  // One array of the right length: concatenating and then slicing made two of ~2 KB.
  const folded = new Array<string>(total - dropped);
  for (let index = dropped; index < total; index++) folded[index - dropped] = idAt(index);
  const table = windowTables.get(applied);
  if (table && folded.length >= SCAN_LIMIT) {
    windowTables.delete(applied);
    for (let index = applied.length; index < total; index++) {
      const id = idAt(index);
      table.set(id, (table.get(id) ?? 0) + 1);
    }
    for (let index = 0; index < dropped; index++) {
      const id = idAt(index);
      const count = table.get(id) as number;
      if (count > 1) table.set(id, count - 1);
      else table.delete(id);
    }
    windowTables.set(folded, table);
  }
  recentSets.delete(recent);
  return { appliedEventIds: folded, recentEventIds: [] };
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
