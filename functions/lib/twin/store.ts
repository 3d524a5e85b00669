/**
 * The twin store: one interface, two implementations (memory, Redis), one contract suite.
 * A store belongs to one MEC. Writes are optimistic: `update` re-reads and retries when
 * another writer changed the twin in between, so concurrent writers lose nothing.
 */
import type { Twin, TwinAccumulators, TwinSnapshot } from "./model.ts";

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

export type Updater = (current: TwinRecord | undefined) => TwinRecord | undefined;

export interface TwinStore {
  get(id: string): Promise<TwinRecord | undefined>;
  list(): Promise<Twin[]>;
  /**
   * Reads the record, applies the pure updater, writes the result if nobody wrote in
   * between (else retries). Returning the same object or undefined from the updater
   * means "no change". Resolves to the record as written (or as it stands).
   */
  update(id: string, updater: Updater): Promise<TwinRecord | undefined>;
  /** Applies many updates in one round trip where the backend allows (Redis pipeline). */
  updateMany(updates: { id: string; updater: Updater }[]): Promise<(TwinRecord | undefined)[]>;
  delete(id: string): Promise<void>;
  /** The versioned state at a cut, for migration. */
  snapshot(id: string): Promise<TwinSnapshot | undefined>;
  /** Installs a snapshot; keeps the newer of snapshot and existing state. */
  hydrate(snapshot: TwinSnapshot): Promise<void>;
  close(): Promise<void>;
}

/** How many applied event ids a record keeps for idempotence. */
export const APPLIED_EVENT_WINDOW = 256;
