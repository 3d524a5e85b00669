import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MigrationEngine } from "../../../../functions/lib/migration/engine/engine.ts";
import {
  completed,
  type JournalEntry,
  reserve,
  stepDone,
} from "../../../../functions/lib/migration/engine/record.ts";
import { FileJournal } from "../../../../functions/lib/migration/journal/fileJournal.ts";
import type { Migration } from "../../../../functions/lib/model/migration.ts";
import { CollectingSink } from "../../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../../functions/lib/runtime/homeRegistry.ts";
import { FakeDriver } from "../fakeDriver.ts";

const tempDirs: string[] = [];
const journals: FileJournal[] = [];

afterEach(async () => {
  for (const journal of journals.splice(0)) await journal.close();
  for (const dir of tempDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function journalFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-journal-"));
  tempDirs.push(dir);
  return path.join(dir, "migrations.jsonl");
}

function journal(file: string, options: Partial<ConstructorParameters<typeof FileJournal>[0]> = {}) {
  const created = new FileJournal({ file, ...options });
  journals.push(created);
  return created;
}

async function linesIn(file: string): Promise<number> {
  return (await readFile(file, "utf8")).split("\n").filter((line) => line !== "").length;
}

/** Migration `index` of twin `twin-<index>`, reserved from mec-a to mec-b. */
function reserved(index: number): Migration {
  return reserve(
    {
      id: `m-${index}`,
      twin: `twin-${index}`,
      from: "mec-a",
      to: "mec-b",
      trigger: "geofence",
      reason: "entered-zone",
      requestedAt: "2026-11-28T07:00:00.000Z",
    },
    "mec-a",
    "fake",
  );
}

/** The journal entries of one whole migration, step by step, as the engine writes them. */
function wholeMigration(index: number): JournalEntry[] {
  const started = reserved(index);
  const placed = stepDone(started, "placed");
  const ready = stepDone(placed, "ready", { timeUntilReadyMs: 12 });
  const switched = stepDone(ready, "switched");
  const released = stepDone(switched, "released");
  const done = completed(released, "2026-11-28T07:00:01.000Z", 40);
  return [started, placed, ready, switched, released, done].map((migration) => ({ migration }));
}

/** Every 25th migration stops at a step before its end (interrupted): before the switch, or after it. */
function interruptedAt(index: number): number | undefined {
  if (index % 25 !== 0) return undefined;
  return index % 50 === 0 ? 2 : 4; // after "placed" (rolls back) or after "switched" (finishes)
}

function stepsWritten(index: number): JournalEntry[] {
  const steps = wholeMigration(index);
  const stop = interruptedAt(index);
  return stop === undefined ? steps : steps.slice(0, stop);
}

describe("FileJournal compaction while running", () => {
  it("keeps the file bounded over many migrations, and keeps every unfinished one", async () => {
    const file = await journalFile();
    const running = journal(file, { keepFinished: 10, compactMinLines: 40, compactRatio: 3 });
    const migrations = 300;
    let appended = 0;
    let longest = 0;
    for (let index = 1; index <= migrations; index++) {
      for (const entry of stepsWritten(index)) {
        await running.append(entry);
        appended++;
      }
      if (index % 20 === 0) {
        await running.idle();
        longest = Math.max(longest, await linesIn(file));
      }
    }
    await running.close();
    const unfinished = [...Array(migrations).keys()]
      .map((index) => index + 1)
      .filter((index) => interruptedAt(index) !== undefined);
    expect(appended).toBeGreaterThan(1500);
    // It keeps 10 finished migrations and the unfinished ones, a line each: the file never holds
    // more than a few times that (without compaction it would hold every line appended).
    expect(longest).toBeLessThanOrEqual(6 * (10 + unfinished.length));
    expect(await linesIn(file)).toBeLessThan(appended / 10);

    // A restart finds every unfinished migration at its last step, and the newest finished ones.
    const loaded = await journal(file, { keepFinished: 10 }).load();
    const loadedRunning = loaded.filter((entry) => entry.migration.status === "running");
    expect(loadedRunning.map((entry) => entry.migration.id)).toEqual(unfinished.map((index) => `m-${index}`));
    for (const entry of loadedRunning) {
      const index = Number(entry.migration.id.slice(2));
      expect(entry.migration.step).toBe(interruptedAt(index) === 2 ? "placed" : "switched");
    }
    const finished = loaded.filter((entry) => entry.migration.status === "completed");
    const newestFinished = [...Array(migrations).keys()]
      .map((index) => index + 1)
      .filter((index) => interruptedAt(index) === undefined)
      .slice(-10);
    expect(finished.map((entry) => entry.migration.id)).toEqual(newestFinished.map((index) => `m-${index}`));
    expect((await readdir(path.dirname(file))).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("loses no append made while a compaction is under way", async () => {
    const file = await journalFile();
    const running = journal(file, { keepFinished: 1000, compactMinLines: 30, compactRatio: 2 });
    const migrations = 300;
    const steps = new Map<number, JournalEntry[]>();
    for (let index = 1; index <= migrations; index++) steps.set(index, stepsWritten(index));
    // Waves of concurrent appends (one step of each of 20 migrations at a time), so batches are
    // written while compactions write their kept lines beside them.
    for (let first = 1; first <= migrations; first += 20) {
      const wave = [...steps.entries()].filter(([index]) => index >= first && index < first + 20);
      for (let step = 0; step < 6; step++) {
        await Promise.all(
          wave.flatMap(([, entries]) => {
            const entry = entries[step];
            return entry === undefined ? [] : [running.append(entry)];
          }),
        );
      }
    }
    await running.idle();
    const appended = [...steps.values()].reduce((sum, entries) => sum + entries.length, 0);
    expect(await linesIn(file)).toBeLessThan(appended / 2);
    const loaded = await journal(file, { keepFinished: 1000 }).load();
    expect(loaded).toHaveLength(migrations);
    for (const entry of loaded) {
      const index = Number(entry.migration.id.slice(2));
      expect(entry).toEqual((steps.get(index) as JournalEntry[]).at(-1));
    }
    expect(loaded.map((entry) => entry.migration.id)).toEqual([...steps.keys()].map((index) => `m-${index}`));
  });

  it("keeps what the file held before its first append, when not loaded first", async () => {
    const file = await journalFile();
    const before = journal(file);
    for (const entry of stepsWritten(25)) await before.append(entry); // unfinished, after "switched"
    await before.close();
    const after = journal(file, { keepFinished: 2, compactMinLines: 20, compactRatio: 2 });
    for (let index = 26; index <= 60; index++) {
      for (const entry of wholeMigration(index)) await after.append(entry);
    }
    await after.idle();
    // At most the line count it compacts at, and one more migration's lines.
    expect(await linesIn(file)).toBeLessThanOrEqual(20 + 6);
    const loaded = await journal(file, { keepFinished: 2 }).load();
    expect(loaded.map((entry) => [entry.migration.id, entry.migration.step])).toEqual([
      ["m-25", "switched"],
      ["m-59", "done"],
      ["m-60", "done"],
    ]);
  });

  it("lets recover() finish or undo every unfinished migration after a long run", async () => {
    const file = await journalFile();
    const running = journal(file, { keepFinished: 5, compactMinLines: 30, compactRatio: 2 });
    const homes = new HomeRegistry();
    const driver = new FakeDriver("fake");
    const unfinished: number[] = [];
    let appended = 0;
    for (let index = 1; index <= 200; index++) {
      homes.setHome(`twin-${index}`, "mec-a");
      driver.at("mec-a").add(`twin-${index}`);
      const stop = interruptedAt(index);
      if (stop !== undefined) unfinished.push(index);
      if (stop === 4) homes.setHome(`twin-${index}`, "mec-b"); // it had switched
      for (const entry of stepsWritten(index)) {
        await running.append(entry);
        appended++;
      }
    }
    await running.close();
    expect(await linesIn(file)).toBeLessThan(appended / 4);
    const engine = new MigrationEngine({
      mecs: ["mec-a", "mec-b"],
      driverFor: () => driver,
      homes,
      journal: journal(file, { keepFinished: 5 }),
      sink: new CollectingSink(),
      releaseRetryDelayMs: 1,
    });
    const rollingBack = unfinished.filter((index) => interruptedAt(index) === 2);
    expect(await engine.recover()).toEqual({
      rolledBack: rollingBack.length,
      finished: unfinished.length - rollingBack.length,
    });
    for (const index of unfinished) {
      const migration = engine.get(`m-${index}`);
      expect(migration?.status).toBe(interruptedAt(index) === 2 ? "rolled-back" : "completed");
      expect(homes.homeOf(`twin-${index}`)).toBe(interruptedAt(index) === 2 ? "mec-a" : "mec-b");
    }
    await engine.close();
  });
});
