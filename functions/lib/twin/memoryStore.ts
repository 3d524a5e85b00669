/**
 * The in-memory twin store (embedded stack, tests, the memory-store benchmark). Updates run
 * without an await between read and write, so they are atomic within the process.
 * Records handed out are shared with the store: treat them as immutable (the reducer does).
 */
import type { Twin, TwinSnapshot } from "./model.ts";
import { hydrated, snapshotOf, withVersion } from "./records.ts";
import type { TwinRecord, TwinStore, Updater } from "./store.ts";

export class MemoryTwinStore implements TwinStore {
  /** Pass the same map to several stores to model several clients of one backend. */
  constructor(private readonly records: Map<string, TwinRecord> = new Map()) {}

  async get(id: string): Promise<TwinRecord | undefined> {
    return this.records.get(id);
  }

  async list(): Promise<Twin[]> {
    return [...this.records.values()].map((record) => record.twin);
  }

  async update(id: string, updater: Updater): Promise<TwinRecord | undefined> {
    return this.updateNow(id, updater);
  }

  async updateMany(updates: { id: string; updater: Updater }[]): Promise<(TwinRecord | undefined)[]> {
    return updates.map(({ id, updater }) => this.updateNow(id, updater));
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }

  async snapshot(id: string): Promise<TwinSnapshot | undefined> {
    const record = this.records.get(id);
    return record ? snapshotOf(record) : undefined;
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    this.updateNow(snapshot.twin.id, (current) => hydrated(current, snapshot));
  }

  async close(): Promise<void> {}

  private updateNow(id: string, updater: Updater): TwinRecord | undefined {
    const current = this.records.get(id);
    const next = updater(current);
    if (next === undefined || next === current) return current;
    const written = withVersion(next, (current?.twin.version ?? 0) + 1, current);
    this.records.set(id, written);
    return written;
  }
}
