/**
 * The engine's bookkeeping: every migration it knows (running and recent), the per-twin lock,
 * the protocol runs still going, and who listens for changes. A step is written to the journal
 * before it shows here (the API lists these records) and before the listeners hear of it: a
 * migration seen running always has its journal entry, which a restart finishes or undoes.
 */

import type { TwinDeployment } from "../../model/driver.ts";
import type { Migration } from "../../model/migration.ts";
import type { MigrationJournal } from "../journal/journal.ts";
import { hasSwitched, type JournalEntry } from "./record.ts";

export class MigrationHistory {
  /** Insertion order is request order. */
  private readonly records = new Map<string, Migration>();
  private readonly runningByTwin = new Map<string, string>();
  /** Admitted migrations whose first journal entry is being written: locked, not yet listed. */
  private readonly reserved = new Map<string, Migration>();
  private readonly tasks = new Map<string, Promise<Migration>>();
  private readonly listeners = new Set<(migration: Migration) => void>();
  /** Migration id -> settles when it lets go of its twin's lock. */
  private readonly unlocks = new Map<string, { unlocked: Promise<void>; resolve: () => void }>();
  /** Twin -> the deployment of its home as the journal recorded it, with the driver's own ids. */
  private readonly homes = new Map<string, TwinDeployment>();

  constructor(
    private readonly journal: MigrationJournal,
    /** Finished migrations kept. */
    private readonly limit: number,
  ) {}

  get(id: string): Migration | undefined {
    return this.records.get(id);
  }

  /** A migration known by id, also one whose first journal entry is being written (admission). */
  known(id: string): Migration | undefined {
    return this.records.get(id) ?? this.reserved.get(id);
  }

  /** The migration holding a twin's lock. */
  runningFor(twin: string): Migration | undefined {
    const runningId = this.runningByTwin.get(twin);
    return runningId === undefined ? undefined : this.known(runningId);
  }

  /** Newest first. */
  list(filter: { twin?: string } = {}): Migration[] {
    const all = [...this.records.values()].reverse();
    return filter.twin === undefined ? all : all.filter((migration) => migration.twin === filter.twin);
  }

  /** Resolves with the finished record (immediately for a finished or unknown id). */
  async settled(id: string): Promise<Migration | undefined> {
    return (await this.tasks.get(id)) ?? this.records.get(id);
  }

  onChange(listener: (migration: Migration) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A record read from the journal, unless a newer one is already known. */
  restore(entry: JournalEntry): void {
    const { migration } = entry;
    if (!this.records.has(migration.id)) this.records.set(migration.id, migration);
    this.rememberHome(entry);
  }

  /**
   * The deployment a migration recorded for the twin's home at `mec`, if one placed it there
   * (undefined for a twin that never moved, or whose home is elsewhere).
   */
  recordedDeployment(twin: string, mec: string): TwinDeployment | undefined {
    const deployment = this.homes.get(twin);
    return deployment?.mec === mec ? deployment : undefined;
  }

  /** After its switch a migration's target is the twin's home. */
  private rememberHome({ migration, target }: JournalEntry): void {
    if (target !== undefined && hasSwitched(migration)) this.homes.set(migration.twin, target);
  }

  /** Takes the twin's lock for this migration. */
  lock(migration: Migration): void {
    this.runningByTwin.set(migration.twin, migration.id);
    if (!this.records.has(migration.id)) this.reserved.set(migration.id, migration);
    if (!this.unlocks.has(migration.id)) {
      let resolve = () => {};
      const unlocked = new Promise<void>((done) => {
        resolve = done;
      });
      this.unlocks.set(migration.id, { unlocked, resolve });
    }
  }

  unlock(migration: Migration): void {
    if (this.runningByTwin.get(migration.twin) === migration.id) this.runningByTwin.delete(migration.twin);
    this.unlocks.get(migration.id)?.resolve();
    this.unlocks.delete(migration.id);
  }

  /**
   * Resolves when the migration lets go of its twin's lock (at once when it holds none): from its
   * admission on, also while its first journal entry is being written, before its run is tracked.
   */
  async unlocked(id: string): Promise<void> {
    await this.unlocks.get(id)?.unlocked;
  }

  /** Undoes a reservation that could not be journaled. */
  forget(migration: Migration): void {
    this.unlock(migration);
    this.reserved.delete(migration.id);
    this.records.delete(migration.id);
  }

  /**
   * Journals a step, then records it. A later step whose write failed is recorded all the same
   * (what the engine did is done; the caller reports the failed write); listeners hear only of
   * journaled steps.
   */
  async save(entry: JournalEntry): Promise<void> {
    const { id } = entry.migration;
    try {
      await this.journal.append(entry);
    } catch (error) {
      if (!this.reserved.has(id)) {
        this.records.set(id, entry.migration);
        this.rememberHome(entry);
      }
      throw error;
    }
    this.reserved.delete(id);
    this.records.set(id, entry.migration);
    this.rememberHome(entry);
    for (const listener of this.listeners) listener(entry.migration);
  }

  track(id: string, task: Promise<Migration>): void {
    this.tasks.set(id, task);
    task.finally(() => this.tasks.delete(id)).catch(() => {});
  }

  /** Resolves when every tracked run has ended, however it ended. */
  async allSettled(): Promise<void> {
    await Promise.allSettled([...this.tasks.values()]);
  }

  /** Drops the oldest finished records beyond the limit (running ones stay). */
  trim(): void {
    for (const [id, migration] of this.records) {
      if (this.records.size <= this.limit) break;
      if (migration.status !== "running") this.records.delete(id);
    }
  }
}
