/**
 * The migration journal: every step of every migration, persisted before the engine moves
 * on, so a restarted engine can finish or undo what was running. Memory (tests), JSON lines
 * in a file (the embedded stack).
 */
import { mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Logger } from "../log.ts";
import type { JournalEntry } from "./machine.ts";
import { MigrationSchema } from "./model.ts";

export interface MigrationJournal {
  append(entry: JournalEntry): Promise<void>;
  /** The latest entry of each migration, oldest migration first. */
  load(): Promise<JournalEntry[]>;
  close(): Promise<void>;
}

const PlacementSchema = z.object({ driver: z.string(), twin: z.string(), mec: z.string(), ref: z.string() });
export const JournalEntrySchema = z.object({
  migration: MigrationSchema,
  target: PlacementSchema.optional(),
  source: PlacementSchema.optional(),
  traceparent: z.string().optional(),
});

/** Keeps the latest entry per migration id, in order of each migration's first appearance. */
function latestPerMigration(entries: Iterable<JournalEntry>): JournalEntry[] {
  const latest = new Map<string, JournalEntry>();
  for (const entry of entries) latest.set(entry.migration.id, entry);
  return [...latest.values()];
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

export interface FileJournalOptions {
  file: string;
  /** Finished migrations kept when the file is compacted at load. */
  keepFinished?: number;
  logger?: Logger;
}

/**
 * JSON lines, appended in order through one file handle. A torn last line (a crash in the
 * middle of a write) is skipped at load; load compacts the file to the latest entry per
 * migration, written to a temporary file and renamed so a crash never leaves it half written.
 */
export class FileJournal implements MigrationJournal {
  private handle: Awaited<ReturnType<typeof open>> | undefined;
  /** Lines waiting for the next write; one write and one datasync serve them all (group commit). */
  private pending: { line: string; settle: (error?: unknown) => void }[] = [];
  private writes: Promise<void> = Promise.resolve();
  private flushing = false;

  constructor(private readonly options: FileJournalOptions) {}

  append(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!this.flushing) {
        this.flushing = true;
        this.writes = this.flush();
      }
    });
  }

  /**
   * Writes what is pending, in order, until nothing is. Many migrations at once (a bus of
   * vehicles crossing a border) then cost one datasync per batch, not one per step.
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        this.handle ??= await this.openForAppend();
        await this.handle.write(batch.map((pending) => pending.line).join(""));
        await this.handle.datasync();
        for (const pending of batch) pending.settle();
      } catch (error) {
        // One failed write fails its batch only; the next batch tries again.
        for (const pending of batch) pending.settle(error ?? new Error("journal write failed"));
      }
    }
    this.flushing = false;
  }

  async load(): Promise<JournalEntry[]> {
    await this.writes;
    let text: string;
    try {
      text = await readFile(this.options.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new Error(`cannot read migration journal ${this.options.file}: ${(error as Error).message}`);
    }
    const parsed: JournalEntry[] = [];
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    lines.forEach((line, index) => {
      const entry = parseLine(line);
      if (entry === undefined) {
        this.options.logger?.warn(
          { file: this.options.file, line: index + 1 },
          "skipping unreadable journal line",
        );
      } else parsed.push(entry);
    });
    const latest = this.keepBounded(latestPerMigration(parsed));
    if (latest.length < lines.length) await this.compact(latest);
    return latest;
  }

  async close(): Promise<void> {
    await this.writes;
    await this.handle?.close();
    this.handle = undefined;
  }

  private keepBounded(entries: JournalEntry[]): JournalEntry[] {
    const keep = this.options.keepFinished ?? 1000;
    const finished = entries.filter((entry) => entry.migration.status !== "running");
    const drop = new Set(finished.slice(0, Math.max(0, finished.length - keep)));
    return entries.filter((entry) => !drop.has(entry));
  }

  private async compact(entries: JournalEntry[]): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const temporary = `${this.options.file}.${process.pid}.tmp`;
    await writeFile(temporary, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
    await rename(temporary, this.options.file);
  }

  private async openForAppend() {
    await mkdir(path.dirname(this.options.file), { recursive: true });
    return open(this.options.file, "a");
  }
}

function parseLine(line: string): JournalEntry | undefined {
  try {
    const result = JournalEntrySchema.safeParse(JSON.parse(line));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
