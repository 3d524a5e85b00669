/**
 * The in-memory twin store (embedded stack, tests, the memory-store benchmark). Updates run
 * without an await between read and write, so they are atomic within the process.
 * Records handed out are shared with the store: treat them as immutable (the reducer does).
 */
import type { Twin, TwinSnapshot } from "../../model/twin.ts";
import { hydrated, snapshotOf, type TwinRecord, withVersion } from "../state/records.ts";
import {
  type ParkedEvent,
  type ParkOutcome,
  releasedGraceMs,
  type TwinStore,
  type TwinUpdate,
  type Updater,
} from "./store.ts";

/** The twins arriving by migration, each with its parked events (the key is the arriving mark). */
export type MemoryParking = Map<string, ParkedEvent[]>;
/** The tombstones of released twins: id to the time (ms, the store's clock) the tombstone expires. */
export type MemoryTombstones = Map<string, number>;

export class MemoryTwinStore implements TwinStore {
  /** Pass the same maps to several stores to model several clients of one backend. */
  constructor(
    private readonly records: Map<string, TwinRecord> = new Map(),
    private readonly parking: MemoryParking = new Map(),
    private readonly tombstones: MemoryTombstones = new Map(),
    /** When tombstones expire, ms since the epoch (tests pass their own). */
    private readonly clock: () => number = Date.now,
  ) {}

  async get(id: string): Promise<TwinRecord | undefined> {
    return this.records.get(id);
  }

  async list(): Promise<Twin[]> {
    return [...this.records.values()].map((record) => record.twin);
  }

  async update(id: string, updater: Updater): Promise<TwinRecord | undefined> {
    return this.updateNow(id, updater);
  }

  async updateMany(updates: TwinUpdate[]): Promise<(TwinRecord | undefined)[]> {
    const anyArriving = this.parking.size > 0;
    const anyReleased = this.tombstones.size > 0;
    return updates.map((update) => {
      if (anyArriving && this.parking.has(update.id)) {
        update.arriving = true;
        return undefined;
      }
      if (anyReleased && this.isReleased(update.id)) {
        update.released = true;
        return undefined;
      }
      return this.updateNow(update.id, update.updater);
    });
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async snapshot(id: string): Promise<TwinSnapshot | undefined> {
    const record = this.records.get(id);
    return record ? snapshotOf(record) : undefined;
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    this.tombstones.delete(snapshot.twin.id);
    this.updateNow(snapshot.twin.id, (current) => hydrated(current, snapshot));
  }

  async expect(id: string): Promise<void> {
    this.tombstones.delete(id);
    if (!this.parking.has(id)) this.parking.set(id, []);
  }

  async expectUnlessPresent(id: string): Promise<boolean> {
    if (this.records.has(id) || this.isReleased(id)) return false;
    if (!this.parking.has(id)) this.parking.set(id, []);
    return true;
  }

  async isArriving(id: string): Promise<boolean> {
    return this.parking.has(id);
  }

  async park(id: string, event: ParkedEvent, limit: number): Promise<ParkOutcome> {
    const parked = this.parking.get(id);
    if (!parked) return "not-arriving";
    parked.push(event);
    if (parked.length <= limit) return "parked";
    parked.splice(0, parked.length - limit);
    return "parked-overflow";
  }

  async takeParked(id: string): Promise<ParkedEvent[]> {
    const parked = this.parking.get(id) ?? [];
    this.parking.delete(id);
    return parked;
  }

  async release(id: string, graceMs?: number): Promise<void> {
    const grace = releasedGraceMs(graceMs);
    const now = this.clock();
    for (const [released, expiresAt] of this.tombstones)
      if (expiresAt <= now) this.tombstones.delete(released);
    this.parking.delete(id);
    this.records.delete(id);
    if (grace > 0) this.tombstones.set(id, now + grace);
    else this.tombstones.delete(id);
  }

  async close(): Promise<void> {}

  private isReleased(id: string): boolean {
    const expiresAt = this.tombstones.get(id);
    if (expiresAt === undefined) return false;
    if (this.clock() < expiresAt) return true;
    this.tombstones.delete(id);
    return false;
  }

  private updateNow(id: string, updater: Updater): TwinRecord | undefined {
    const current = this.records.get(id);
    const next = updater(current);
    if (next === undefined || next === current) return current;
    const written = withVersion(next, (current?.twin.version ?? 0) + 1, current);
    this.records.set(id, written);
    // A write past updateMany's refusal (hydrate, update) means the twin is back: as in Redis.
    if (this.tombstones.size > 0) this.tombstones.delete(id);
    return written;
  }
}
