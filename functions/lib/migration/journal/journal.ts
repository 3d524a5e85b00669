/**
 * The migration journal: every step of every migration, persisted before the engine moves
 * on, so a restarted engine can finish or undo what was running. Memory (tests), JSON lines
 * in a file (the embedded stack: fileJournal.ts), Redis (a cluster: redisJournal.ts).
 */

import type { JournalEntry } from "../engine/record.ts";
import { latestPerMigration } from "./journalEntry.ts";

export { JournalEntrySchema } from "./journalEntry.ts";

export interface MigrationJournal {
  append(entry: JournalEntry): Promise<void>;
  /** The latest entry of each migration, oldest migration first. */
  load(): Promise<JournalEntry[]>;
  close(): Promise<void>;
}

export class MemoryJournal implements MigrationJournal {
  readonly entries: JournalEntry[] = [];
  async append(entry: JournalEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }
  async load(): Promise<JournalEntry[]> {
    return latestPerMigration(structuredClone(this.entries));
  }
  async close(): Promise<void> {}
}
