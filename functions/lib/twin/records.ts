/** Record helpers both stores share: versioning, snapshots and what a hydrate installs. */
import type { TwinSnapshot } from "./model.ts";
import type { TwinRecord } from "./store.ts";

/** The record with the store's version stamped on its twin. */
export function withVersion(record: TwinRecord, version: number): TwinRecord {
  return { ...record, twin: { ...record.twin, version } };
}

export function snapshotOf(record: TwinRecord, nowMs = Date.now()): TwinSnapshot {
  const snapshot: TwinSnapshot = {
    twin: structuredClone(record.twin),
    appliedEventIds: [...record.appliedEventIds],
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
