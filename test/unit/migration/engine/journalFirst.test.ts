/**
 * Journal first: a migration shows in the engine's list (the API's /migrations) only once its
 * journal entry is written, so a crash never leaves one that was seen running without a trace.
 */
import { describe, expect, it } from "vitest";
import { MigrationEngine } from "../../../../functions/lib/migration/engine/engine.ts";
import type { JournalEntry } from "../../../../functions/lib/migration/engine/record.ts";
import { MemoryJournal } from "../../../../functions/lib/migration/journal/journal.ts";
import { CollectingSink } from "../../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../../functions/lib/runtime/homeRegistry.ts";
import { FakeDriver } from "../fakeDriver.ts";

/** A journal whose writes wait until the test lets them through, like a slow disk. */
class HeldJournal extends MemoryJournal {
  private held: (() => void)[] = [];
  holding = true;
  override async append(entry: JournalEntry): Promise<void> {
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    return super.append(entry);
  }
  release(): void {
    this.holding = false;
    for (const resume of this.held.splice(0)) resume();
  }
}

function engineWith(journal: HeldJournal): MigrationEngine {
  const homes = new HomeRegistry();
  homes.setHome("42", "mec-a");
  const driver = new FakeDriver("fake", {});
  driver.at("mec-a").add("42");
  return new MigrationEngine({
    mecs: ["mec-a", "mec-b"],
    driverFor: () => driver,
    homes,
    journal,
    sink: new CollectingSink(),
    releaseRetryDelayMs: 1,
  });
}

const request = {
  id: "m-1",
  twin: "42",
  from: "mec-a",
  to: "mec-b",
  trigger: "geofence",
  reason: "entered-zone",
  requestedAt: "2026-12-03T10:00:00.000Z",
} as const;

describe("a migration and its journal entry", () => {
  it("is listed only once its first journal entry is written, and holds the twin's lock meanwhile", async () => {
    const journal = new HeldJournal();
    const engine = engineWith(journal);
    const started = engine.request(request);
    await new Promise((resolve) => setImmediate(resolve));
    expect(journal.entries).toEqual([]);
    expect(engine.list()).toEqual([]);
    expect(engine.get("m-1")).toBeUndefined();
    // A second request for the same twin meanwhile is not admitted.
    const second = await engine.request({ ...request, id: "m-2" });
    expect(second.kind).toBe("conflict");
    journal.release();
    expect((await started).kind).toBe("started");
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(engine.list().map((migration) => migration.id)).toEqual(["m-1"]);
    expect((await engine.settled("m-1"))?.status).toBe("completed");
    await engine.close();
  });
});
