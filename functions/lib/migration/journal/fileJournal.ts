/** The migration journal in a file (the embedded stack): JSON lines, group commit, compaction. */
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../log.ts";
import type { JournalEntry } from "../engine/record.ts";
import type { MigrationJournal } from "./journal.ts";
import { latestPerMigration, parseJournalLine } from "./journalEntry.ts";

export interface FileJournalOptions {
  file: string;
  /** Finished migrations kept when the file is compacted (at load and while running). */
  keepFinished?: number;
  /** While running, the file is compacted once it holds this many lines per migration it records... */
  compactRatio?: number;
  /** ...and at least this many lines. */
  compactMinLines?: number;
  logger?: Logger;
}

/** The latest line of one migration in the file, and whether that migration has finished. */
interface LiveLine {
  line: string;
  finished: boolean;
}

/** A compaction under way: the kept lines go to a temporary file while appends go on. */
interface Compaction {
  /** Lines appended to the journal since the kept lines were taken: copied before the swap. */
  tail: string[];
  keptLines: number;
  /** Set once the kept lines are written and synced; the writer then swaps the files. */
  written: Awaited<ReturnType<typeof open>> | undefined;
  /** Settles when the kept lines are written (or could not be). */
  done: Promise<void>;
}

/**
 * JSON lines, appended in order through one file handle. A torn last line (a crash in the
 * middle of a write) is skipped at load; load compacts the file to the latest entry per
 * migration, written to a temporary file and renamed so a crash never leaves it half written.
 *
 * A long run compacts too: once the file holds `compactRatio` lines per migration it records,
 * the latest line of each kept migration is written to a temporary file beside the appends
 * (which go on to the old file meanwhile); the writer then copies the lines appended since,
 * renames the temporary file over the journal and appends to it from then on. A crash at any
 * point leaves either the old file or the new one, each whole.
 */
export class FileJournal implements MigrationJournal {
  private handle: Awaited<ReturnType<typeof open>> | undefined;
  /** Lines waiting for the next write; one write and one datasync serve them all (group commit). */
  private pending: { line: string; entry: JournalEntry; settle: (error?: unknown) => void }[] = [];
  private writes: Promise<void> = Promise.resolve();
  private flushing = false;
  /** The latest line of each migration in the file, in order of first appearance; known once read. */
  private live = new Map<string, LiveLine>();
  private known = false;
  /** Complete lines in the file. */
  private fileLines = 0;
  /** No compaction before the file has this many lines (raised after a failed one). */
  private compactFloor: number;
  private compaction: Compaction | undefined;
  private compactions = 0;

  constructor(private readonly options: FileJournalOptions) {
    this.compactFloor = options.compactMinLines ?? 256;
  }

  append(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        line,
        entry,
        settle: (error) => (error === undefined ? resolve() : reject(error)),
      });
      this.startFlushing();
    });
  }

  /** Resolves when every append so far is written and a compaction under way has replaced the file. */
  async idle(): Promise<void> {
    while (this.flushing || this.compaction !== undefined) {
      await this.writes;
      await this.compaction?.done;
    }
  }

  private startFlushing(): void {
    if (this.flushing) return;
    this.flushing = true;
    this.writes = this.flush();
  }

  /**
   * Writes what is pending, in order, until nothing is. Many migrations at once (a bus of
   * vehicles crossing a border) then cost one datasync per batch, not one per step.
   */
  private async flush(): Promise<void> {
    for (;;) {
      // Checked and left with no await between: a compaction that ends later starts a flush itself.
      if (this.compaction?.written !== undefined) await this.swapIn(this.compaction);
      if (this.pending.length === 0) break;
      const batch = this.pending.splice(0);
      try {
        this.handle ??= await this.openForAppend();
        const lines = batch.map((pending) => pending.line);
        await this.handle.write(lines.join(""));
        await this.handle.datasync();
        for (const { line, entry } of batch) {
          this.live.set(entry.migration.id, { line, finished: entry.migration.status !== "running" });
        }
        this.fileLines += batch.length;
        this.compaction?.tail.push(...lines);
        for (const pending of batch) pending.settle();
      } catch (error) {
        // One failed write fails its batch only; the next batch tries again.
        for (const pending of batch) pending.settle(error ?? new Error("journal write failed"));
      }
      this.compactIfLong();
    }
    this.flushing = false;
  }

  async load(): Promise<JournalEntry[]> {
    await this.idle();
    const read = await this.readFile();
    if (read === undefined) {
      this.resetLive([], 0);
      return [];
    }
    const latest = this.keepBounded(latestPerMigration(read.entries));
    if (latest.length < read.lines) await this.compact(latest);
    this.resetLive(latest, latest.length);
    return latest;
  }

  async close(): Promise<void> {
    await this.idle();
    await this.handle?.close();
    this.handle = undefined;
  }

  /** The file's readable entries and its line count; undefined when there is no file. */
  private async readFile(): Promise<{ entries: JournalEntry[]; lines: number } | undefined> {
    let text: string;
    try {
      text = await readFile(this.options.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(`cannot read migration journal ${this.options.file}: ${(error as Error).message}`);
    }
    const entries: JournalEntry[] = [];
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    lines.forEach((line, index) => {
      const entry = parseJournalLine(line);
      if (entry === undefined) {
        this.options.logger?.warn(
          { file: this.options.file, line: index + 1 },
          "skipping unreadable journal line",
        );
      } else entries.push(entry);
    });
    return { entries, lines: lines.length };
  }

  /** What the file holds, as just read or written. */
  private resetLive(entries: JournalEntry[], fileLines: number): void {
    this.live = new Map(
      entries.map((entry) => [
        entry.migration.id,
        { line: `${JSON.stringify(entry)}\n`, finished: entry.migration.status !== "running" },
      ]),
    );
    this.fileLines = fileLines;
    this.known = true;
  }

  private keepBounded(entries: JournalEntry[]): JournalEntry[] {
    return withoutOldestFinished(
      entries,
      (entry) => entry.migration.status !== "running",
      this.keepFinished(),
    );
  }

  private keepFinished(): number {
    return this.options.keepFinished ?? 1000;
  }

  private async compact(entries: JournalEntry[]): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    this.compactions++;
    await writeFile(this.temporaryFile(), entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
    await rename(this.temporaryFile(), this.options.file);
  }

  /** Starts a compaction when the file has grown long for what it records. */
  private compactIfLong(): void {
    if (this.compaction !== undefined || !this.known || this.fileLines < this.compactFloor) return;
    if (this.fileLines < (this.options.compactRatio ?? 4) * this.live.size) return;
    const kept = withoutOldestFinished(
      [...this.live.entries()].map(([id, live]) => ({ id, ...live })),
      (live) => live.finished,
      this.keepFinished(),
    );
    this.live = new Map(kept.map(({ id, line, finished }) => [id, { line, finished }]));
    this.compactions++;
    const compaction: Compaction = {
      tail: [],
      keptLines: kept.length,
      written: undefined,
      done: Promise.resolve(),
    };
    compaction.done = this.writeKept(kept.map((live) => live.line)).then(
      (handle) => {
        compaction.written = handle;
        this.startFlushing();
      },
      (error: unknown) => {
        this.compactionFailed(error);
      },
    );
    this.compaction = compaction;
  }

  private async writeKept(lines: string[]): Promise<Awaited<ReturnType<typeof open>>> {
    const handle = await open(this.temporaryFile(), "w");
    try {
      await handle.write(lines.join(""));
      await handle.datasync();
      return handle;
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  /** In the writer, between batches: the lines appended meanwhile, then the new file takes the old one's place. */
  private async swapIn(compaction: Compaction): Promise<void> {
    const handle = compaction.written as Awaited<ReturnType<typeof open>>;
    try {
      if (compaction.tail.length > 0) {
        await handle.write(compaction.tail.join(""));
        await handle.datasync();
      }
      await rename(this.temporaryFile(), this.options.file);
    } catch (error) {
      await handle.close().catch(() => {});
      this.compactionFailed(error);
      return;
    }
    this.compaction = undefined;
    const old = this.handle;
    this.handle = handle;
    this.fileLines = compaction.keptLines + compaction.tail.length;
    await old?.close().catch(() => {});
  }

  /** The old file is still whole; try again once it has grown by as much again. */
  private compactionFailed(error: unknown): void {
    this.compaction = undefined;
    this.compactFloor = this.fileLines + (this.options.compactMinLines ?? 256);
    this.options.logger?.warn(
      { file: this.options.file, err: error },
      "could not compact the migration journal; appending to it as it is",
    );
    rm(this.temporaryFile(), { force: true }).catch(() => {});
  }

  /** A fresh name per compaction: a failed one's leftover, still being removed, is never reused. */
  private temporaryFile(): string {
    return `${this.options.file}.${process.pid}.${this.compactions}.tmp`;
  }

  private async openForAppend() {
    await mkdir(path.dirname(this.options.file), { recursive: true });
    if (!this.known) {
      // Appending before any load: learn what the file already holds, so a compaction keeps it.
      // A file that cannot be read is never compacted while running (load says what is wrong).
      const read = await this.readFile().catch(() => null);
      if (read !== null) this.resetLive(latestPerMigration(read?.entries ?? []), read?.lines ?? 0);
    }
    return open(this.options.file, "a");
  }
}

/** `items` without the oldest finished ones beyond `keep`; running ones always stay. */
function withoutOldestFinished<T>(items: T[], isFinished: (item: T) => boolean, keep: number): T[] {
  const finished = items.filter(isFinished);
  const drop = new Set(finished.slice(0, Math.max(0, finished.length - keep)));
  return items.filter((item) => !drop.has(item));
}
