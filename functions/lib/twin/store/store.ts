/**
 * The twin store: one interface, two implementations (memory, Redis), one contract suite.
 * A store belongs to one MEC. Writes are optimistic: `update` re-reads and retries when
 * another writer changed the twin in between, so concurrent writers lose nothing.
 */
import type { CitsMessage } from "../../cits/types.ts";
import type { Twin, TwinSnapshot } from "../../model/twin.ts";
import type { TwinRecord } from "../state/records.ts";

export type Updater = (current: TwinRecord | undefined) => TwinRecord | undefined;

/** One update of a batch (`updateMany`). */
export interface TwinUpdate {
  id: string;
  updater: Updater;
  /**
   * Set by `updateMany` when the twin is arriving by migration: nothing was written, and the
   * caller parks the event (`park`) until the snapshot is hydrated.
   */
  arriving?: boolean;
  /**
   * Set by `updateMany` when the twin was released here within the grace period (`release`):
   * nothing was written, and the caller drops the event (a straggler from before the switch).
   */
  released?: boolean;
}

/** An event kept while its twin is arriving: what the service needs to apply it later. */
export interface ParkedEvent {
  message: CitsMessage;
  eventId: string;
  traceparent?: string | undefined;
}

/** What `park` did: not arriving (apply the event), parked, or parked and the oldest dropped. */
export type ParkOutcome = "not-arriving" | "parked" | "parked-overflow";

export interface TwinStore {
  get(id: string): Promise<TwinRecord | undefined>;
  list(): Promise<Twin[]>;
  /**
   * Reads the record, applies the pure updater, writes the result if nobody wrote in
   * between (else retries). Returning the same object or undefined from the updater
   * means "no change". Resolves to the record as written (or as it stands).
   */
  update(id: string, updater: Updater): Promise<TwinRecord | undefined>;
  /**
   * Applies many updates in one round trip where the backend allows. A twin marked arriving
   * (`expect`) is not written: its updates get `arriving: true` and answer undefined. Nor is a
   * twin released within the grace period: its updates get `released: true` and answer undefined.
   */
  updateMany(updates: TwinUpdate[]): Promise<(TwinRecord | undefined)[]>;
  delete(id: string): Promise<void>;
  /** The versioned state at a cut, for migration. */
  snapshot(id: string): Promise<TwinSnapshot | undefined>;
  /** Installs a snapshot (arriving or not); keeps the newer of snapshot and existing state. */
  hydrate(snapshot: TwinSnapshot): Promise<void>;
  /**
   * Parking during a migration, shared by every client of the backend (several replicas of a
   * MEC's twin function): `expect` marks the twin arriving; `park` keeps an event while the mark
   * stands (atomically, bounded to `limit`, the oldest dropped); `takeParked` removes the mark and
   * answers the parked events, at once.
   */
  expect(id: string): Promise<void>;
  /**
   * `expect`, unless the store holds the twin or its tombstone; answers whether it marked. In a
   * cluster the bridge forwards an arriving twin's events as soon as the twin CNF's Deployment
   * exists, which may be before the twin CNF's own `expect`: such an event must be parked, not
   * create the twin. Atomic, so a twin hydrated meanwhile is not marked again.
   */
  expectUnlessPresent(id: string): Promise<boolean>;
  isArriving(id: string): Promise<boolean>;
  park(id: string, event: ParkedEvent, limit: number): Promise<ParkOutcome>;
  takeParked(id: string): Promise<ParkedEvent[]>;
  /**
   * Lets the twin go (after a migration, or its rollback at the target), at once for every
   * client: clears the arriving mark and the parked events, deletes the record, and leaves a
   * tombstone for `graceMs` (default RELEASED_GRACE_MS; 0: none) while which `updateMany`
   * refuses the twin, so late events do not re-create it. `expect`, `hydrate` or any write
   * through `update` clears the tombstone (the twin migrates back).
   */
  release(id: string, graceMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** How long a released twin's events are refused: stragglers the bridge sent before the switch. */
export const RELEASED_GRACE_MS = 30_000;

/** The grace period `release` was given, checked: a whole number of milliseconds, 0 or more. */
export function releasedGraceMs(graceMs: number = RELEASED_GRACE_MS): number {
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
    throw new Error(`release: graceMs must be a whole number of milliseconds >= 0, not ${graceMs}`);
  }
  return graceMs;
}
