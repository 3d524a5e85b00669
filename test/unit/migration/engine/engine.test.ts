import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CloudEvent } from "cloudevents";
import { afterEach, describe, expect, it } from "vitest";
import { EXTENSIONS } from "../../../../functions/lib/events.ts";
import {
  MigrationEngine,
  type MigrationEngineOptions,
} from "../../../../functions/lib/migration/engine/engine.ts";
import { FileJournal } from "../../../../functions/lib/migration/journal/fileJournal.ts";
import { MemoryJournal, type MigrationJournal } from "../../../../functions/lib/migration/journal/journal.ts";
import type { MigrationRequest } from "../../../../functions/lib/model/migration.ts";
import { CollectingSink } from "../../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../../functions/lib/runtime/homeRegistry.ts";
import { FakeDriver, type FakeDriverScript } from "../fakeDriver.ts";

const MECS = ["mec-a", "mec-b", "mec-c"];
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function request(overrides: Partial<MigrationRequest> = {}): MigrationRequest {
  return {
    id: "m-1",
    twin: "42",
    from: "mec-a",
    to: "mec-b",
    trigger: "manual",
    reason: "manual",
    requestedAt: "2026-11-28T07:00:00.000Z",
    ...overrides,
  };
}

interface World {
  engine: MigrationEngine;
  driver: FakeDriver;
  homes: HomeRegistry;
  sink: CollectingSink;
  journal: MigrationJournal;
}

function world(
  script: FakeDriverScript = {},
  options: Partial<MigrationEngineOptions> = {},
  shared?: { homes: HomeRegistry; present: Map<string, Set<string>> },
): World {
  const homes = shared?.homes ?? new HomeRegistry();
  const driver = new FakeDriver("fake", script, shared?.present);
  if (shared === undefined) {
    homes.setHome("42", "mec-a");
    driver.at("mec-a").add("42");
  }
  const sink = new CollectingSink();
  const journal = options.journal ?? new MemoryJournal();
  journals.push(journal);
  const engine = new MigrationEngine({
    mecs: MECS,
    driverFor: () => driver,
    homes,
    journal,
    sink,
    mec: "mec-a",
    releaseRetryDelayMs: 1,
    ...options,
  });
  return { engine, driver, homes, sink, journal };
}

/** Never two homes, never none: exactly one receiver and it is the home. */
function expectSingleHome(homes: HomeRegistry, twin: string, mec: string): void {
  expect(homes.homeOf(twin)).toBe(mec);
  expect(homes.receiversOf(twin)).toEqual([mec]);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

const tempDirs: string[] = [];
const journals: MigrationJournal[] = [];
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-journal-"));
  tempDirs.push(dir);
  return path.join(dir, "migrations.jsonl");
}
afterEach(async () => {
  await Promise.all(journals.splice(0).map((journal) => journal.close()));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("MigrationEngine", () => {
  it("completes a migration through every step, with timings, events and journal", async () => {
    const { engine, driver, homes, sink, journal } = world();
    const outcome = await engine.request(request(), { traceparent: TRACEPARENT });
    expect(outcome.kind).toBe("started");
    if (outcome.kind !== "started") return;
    expect(outcome.migration).toMatchObject({
      status: "running",
      step: "reserved",
      from: "mec-a",
      to: "mec-b",
    });

    const done = await engine.settled("m-1");
    expect(done?.status).toBe("completed");
    expect(done?.step).toBe("done");
    expect(done?.timeUntilReadyMs).toBeGreaterThan(0);
    expect(done?.timeUntilDoneMs).toBeGreaterThanOrEqual(done?.timeUntilReadyMs ?? Number.POSITIVE_INFINITY);
    expect(done?.finishedAt).toBeDefined();
    expectSingleHome(homes, "42", "mec-b");
    expect(driver.at("mec-a").has("42")).toBe(false);
    expect(driver.at("mec-b").has("42")).toBe(true);
    expect(driver.calls).toEqual([
      "place 42@mec-b",
      "wait 42@mec-b",
      "activate 42@mec-b",
      "release 42@mec-a",
    ]);

    expect(sink.events.map((event) => event.type)).toEqual([
      "io.vvcu.migration.started",
      "io.vvcu.migration.ready",
      "io.vvcu.migration.completed",
    ]);
    for (const event of sink.events) {
      expect(event[EXTENSIONS.migration]).toBe("m-1");
      expect(event[EXTENSIONS.traceparent]).toBe(TRACEPARENT);
      expect(event.subject).toBe("42");
    }
    const ready = sink.events[1]?.data as { migration: { timeUntilReadyMs?: number } };
    expect(ready.migration.timeUntilReadyMs).toBe(done?.timeUntilReadyMs);

    const steps = (journal as MemoryJournal).entries.map((entry) => entry.migration.step);
    expect(steps).toEqual(["reserved", "placed", "ready", "switched", "released", "done"]);
  });

  it("rolls back when the target never becomes ready: the twin stays at the source", async () => {
    const { engine, driver, homes, sink } = world({ neverReady: true }, { readyTimeoutMs: 30 });
    await engine.request(request());
    const done = await engine.settled("m-1");
    expect(done?.status).toBe("rolled-back");
    expect(done?.error).toMatch(/wait until the target is ready timed out after 30 ms/);
    expect(done?.timeUntilReadyMs).toBeUndefined();
    expectSingleHome(homes, "42", "mec-a");
    expect(driver.at("mec-a").has("42")).toBe(true);
    expect(driver.at("mec-b").has("42")).toBe(false);
    expect(driver.calls.at(-1)).toBe("activate 42@mec-a");
    expect(sink.events.map((event) => event.type)).toEqual([
      "io.vvcu.migration.started",
      "io.vvcu.migration.rolledback",
    ]);
  });

  it("rolls back when deploying the target fails, with the driver's message", async () => {
    const { engine, homes } = world({ placeFails: true });
    await engine.request(request());
    const done = await engine.settled("m-1");
    expect(done?.status).toBe("rolled-back");
    expect(done?.error).toBe("target refused the twin");
    expectSingleHome(homes, "42", "mec-a");
  });

  it("retries a failed release of the source until it succeeds", async () => {
    const { engine, driver, homes } = world({ releaseFailures: 2 }, { releaseAttempts: 5 });
    await engine.request(request());
    const done = await engine.settled("m-1");
    expect(done?.status).toBe("completed");
    expect(driver.calls.filter((call) => call === "release 42@mec-a")).toHaveLength(3);
    expect(driver.at("mec-a").has("42")).toBe(false);
    expectSingleHome(homes, "42", "mec-b");
  });

  it("records a failure when the release never succeeds, with the twin at the target only", async () => {
    const { engine, homes, sink } = world({ releaseFailures: 10 }, { releaseAttempts: 2 });
    await engine.request(request());
    const done = await engine.settled("m-1");
    expect(done?.status).toBe("failed");
    expect(done?.error).toBe("release of the source at mec-a failed: orchestrator unavailable");
    expectSingleHome(homes, "42", "mec-b");
    expect(sink.events.at(-1)?.type).toBe("io.vvcu.migration.failed");
  });

  it("runs one migration per twin: a concurrent request conflicts, the same id is a duplicate", async () => {
    let open: () => void = () => {};
    const readyGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { engine, driver } = world({ readyGate });
    const [first, second, again] = await Promise.all([
      engine.request(request({ id: "m-1" })),
      engine.request(request({ id: "m-2", to: "mec-c" })),
      engine.request(request({ id: "m-1" })),
    ]);
    expect(first.kind).toBe("started");
    expect(second.kind).toBe("conflict");
    if (second.kind === "conflict") expect(second.migration.id).toBe("m-1");
    expect(again.kind).toBe("duplicate");
    open();
    expect((await engine.settled("m-1"))?.status).toBe("completed");
    expect(driver.calls.filter((call) => call.startsWith("place"))).toEqual(["place 42@mec-b"]);
    expect(engine.list().map((migration) => migration.id)).toEqual(["m-1"]);
    // Once finished, the twin can move again; an old id stays a duplicate.
    expect((await engine.request(request({ id: "m-1", to: "mec-c" }))).kind).toBe("duplicate");
    expect((await engine.request(request({ id: "m-3", to: "mec-c" }))).kind).toBe("started");
    await engine.settled("m-3");
    expect(engine.list({ twin: "42" }).map((migration) => migration.id)).toEqual(["m-3", "m-1"]);
    expect(engine.list({ twin: "7" })).toEqual([]);
  });

  it("rejects unknown and same targets without touching anything", async () => {
    const { engine, driver } = world();
    expect(await engine.request(request({ to: "mec-z" }))).toMatchObject({
      kind: "rejected",
      code: "unknown-target",
    });
    expect(await engine.request(request({ to: "mec-a" }))).toMatchObject({
      kind: "rejected",
      code: "same-target",
    });
    expect(driver.calls).toEqual([]);
    expect(engine.list()).toEqual([]);
  });

  it("places a twin created at a MEC at that MEC (its first home) and releases nothing", async () => {
    const { engine, driver, homes } = world();
    const first = request({
      id: "p-7",
      twin: "7",
      from: "mec-b",
      to: "mec-b",
      trigger: "geofence",
      reason: "first-placement",
    });
    expect((await engine.request(first)).kind).toBe("started");
    const done = await engine.settled("p-7");
    expect(done).toMatchObject({
      status: "completed",
      from: "mec-b",
      to: "mec-b",
      reason: "first-placement",
    });
    expect(driver.calls).toEqual(["place 7@mec-b", "wait 7@mec-b", "activate 7@mec-b"]);
    expect(driver.at("mec-b").has("7")).toBe(true);
    expectSingleHome(homes, "7", "mec-b");
    // The twin can then move on from its first home.
    expect((await engine.request(request({ id: "m-7", twin: "7", from: "mec-b", to: "mec-c" }))).kind).toBe(
      "started",
    );
    expect(await engine.settled("m-7")).toMatchObject({ status: "completed", from: "mec-b", to: "mec-c" });
    expect(driver.calls.slice(3)).toContain("release 7@mec-b");
  });

  it("a move asked for while the migration to the twin's first home runs waits for it, then starts", async () => {
    let open: () => void = () => {};
    const readyGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { engine, driver } = world({ readyGate });
    const first = request({
      id: "p-7",
      twin: "7",
      from: "mec-b",
      to: "mec-b",
      trigger: "geofence",
      reason: "first-placement",
    });
    expect((await engine.request(first)).kind).toBe("started");
    const move = engine.request(request({ id: "m-7", twin: "7", from: "mec-b", to: "mec-c" }));
    await until(() => driver.calls.includes("wait 7@mec-b"));
    open();
    expect((await move).kind).toBe("started");
    expect(await engine.settled("m-7")).toMatchObject({ status: "completed", from: "mec-b", to: "mec-c" });
  });

  it("a move asked for while the first home's first journal entry is written waits for it too", async () => {
    let open: () => void = () => {};
    const journalGate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const journal = new MemoryJournal();
    const append = journal.append.bind(journal);
    journal.append = async (entry) => {
      if (entry.migration.id === "p-7" && entry.migration.step === "reserved") await journalGate;
      await append(entry);
    };
    const { engine } = world({}, { journal });
    const placing = engine.request(
      request({
        id: "p-7",
        twin: "7",
        from: "mec-b",
        to: "mec-b",
        trigger: "geofence",
        reason: "first-placement",
      }),
    );
    const move = engine.request(request({ id: "m-7", twin: "7", from: "mec-b", to: "mec-c" }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    open();
    expect((await placing).kind).toBe("started");
    expect((await move).kind).toBe("started");
    expect(await engine.settled("p-7")).toMatchObject({ status: "completed" });
    expect(await engine.settled("m-7")).toMatchObject({ status: "completed", from: "mec-b", to: "mec-c" });
  });

  it("admits a move from where another MEC's control plane brought the twin back, and releases it by its host's ids", async () => {
    // This engine moved twin 42 from mec-a to mec-b; mec-b's engine (not this one) brought it back.
    const { engine, driver, homes } = world({ hosts: true, ownRefs: true });
    await engine.request(request({ id: "m-1", from: "mec-a", to: "mec-b" }));
    expect(await engine.settled("m-1")).toMatchObject({ status: "completed" });
    expect(homes.homeOf("42")).toBe("mec-b");
    driver.at("mec-b").delete("42");
    driver.at("mec-a").add("42");
    driver.hostedRefs.set("mec-a/42", "mec-a/42#back-from-b");
    const again = await engine.request(request({ id: "m-2", from: "mec-a", to: "mec-b" }));
    expect(again).toMatchObject({ kind: "started" });
    expect(await engine.settled("m-2")).toMatchObject({ status: "completed", from: "mec-a", to: "mec-b" });
    expect(driver.releasedRefs.at(-1)).toBe("mec-a/42#back-from-b");
    expect(homes.homeOf("42")).toBe("mec-b");
  });

  it("refuses a move that comes before the twin's first home was asked for, so that it is delivered again", async () => {
    const { engine, driver } = world({ hosts: true });
    const move = request({ id: "m-7", twin: "7", from: "mec-b", to: "mec-c", trigger: "geofence" });
    expect(await engine.request(move)).toMatchObject({ kind: "rejected", code: "source-not-deployed" });
    const event = new CloudEvent({
      type: "io.vvcu.migration.requested",
      source: "/test",
      data: move,
      traceparent: TRACEPARENT,
    });
    await expect(engine.handleEvent(event)).rejects.toThrow(/twin 7 has no twin CNF at mec-b yet/);
    expect(engine.list()).toEqual([]);
    await engine.request(
      request({
        id: "p-7",
        twin: "7",
        from: "mec-b",
        to: "mec-b",
        trigger: "geofence",
        reason: "first-placement",
      }),
    );
    expect(await engine.settled("p-7")).toMatchObject({ status: "completed" });
    expect((await engine.handleEvent(event))?.kind).toBe("started");
    expect(await engine.settled("m-7")).toMatchObject({ status: "completed", from: "mec-b", to: "mec-c" });
    expect(driver.calls.filter((call) => call.startsWith("hosted"))).toEqual([
      "hosted 7@mec-b",
      "hosted 7@mec-b",
    ]);
  });

  it("refuses a late move from where the twin no longer lives", async () => {
    const { engine, driver } = world({ hosts: true });
    await engine.request(request({ id: "m-1", from: "mec-a", to: "mec-b" }));
    expect(await engine.settled("m-1")).toMatchObject({ status: "completed" });
    const late = await engine.request(request({ id: "m-late", from: "mec-a", to: "mec-b" }));
    expect(late).toMatchObject({ kind: "rejected", code: "same-target" });
    expect(driver.calls).toContain("hosted 42@mec-a");
    expect(driver.calls.filter((call) => call === "place 42@mec-b")).toHaveLength(1);
  });

  it("a migration to a first home that fails leaves the twin where it lives, its record untouched", async () => {
    const { engine, driver } = world({ placeFails: true });
    const first = request({
      id: "p-7",
      twin: "7",
      from: "mec-b",
      to: "mec-b",
      trigger: "geofence",
      reason: "first-placement",
    });
    await engine.request(first);
    expect(await engine.settled("p-7")).toMatchObject({ status: "rolled-back" });
    expect(driver.calls.filter((call) => call.startsWith("release"))).toEqual([]);
  });

  it("takes migration.requested events and drops malformed ones and duplicates", async () => {
    const { engine } = world();
    const event = (data: unknown) =>
      new CloudEvent({
        type: "io.vvcu.migration.requested",
        source: "/test",
        data,
        traceparent: TRACEPARENT,
      });
    expect(await engine.handleEvent(event({ twin: "42" }))).toBeUndefined();
    expect((await engine.handleEvent(event(request())))?.kind).toBe("started");
    expect((await engine.handleEvent(event(request())))?.kind).toBe("duplicate");
    expect(
      await engine.handleEvent(new CloudEvent({ type: "io.vvcu.twin.updated", source: "/t", data: {} })),
    ).toBe(undefined);
    expect((await engine.settled("m-1"))?.status).toBe("completed");
  });

  it("rolls back a running migration on close", async () => {
    const { engine, homes } = world({ neverReady: true });
    await engine.request(request());
    await engine.close();
    expect(engine.get("m-1")?.status).toBe("rolled-back");
    expect(engine.get("m-1")?.error).toMatch(/shutting down/);
    expectSingleHome(homes, "42", "mec-a");
  });
});

describe("MigrationEngine after a restart", () => {
  it("rolls back a migration interrupted before the switch", async () => {
    const file = await tempFile();
    const crashed = world({ neverReady: true }, { journal: new FileJournal({ file }) });
    await crashed.engine.request(request());
    await until(() => crashed.engine.get("m-1")?.step === "placed");

    // A new process: same world (homes, twins), a fresh engine reading the same journal.
    const restarted = world(
      {},
      { journal: new FileJournal({ file }) },
      { homes: crashed.homes, present: crashed.driver.present },
    );
    expect(await restarted.engine.recover()).toEqual({ rolledBack: 1, finished: 0 });
    const record = restarted.engine.get("m-1");
    expect(record?.status).toBe("rolled-back");
    expect(record?.error).toMatch(/interrupted by a restart/);
    expectSingleHome(restarted.homes, "42", "mec-a");
    expect(restarted.driver.at("mec-b").has("42")).toBe(false);
    expect(restarted.driver.at("mec-a").has("42")).toBe(true);
    expect(restarted.sink.events.map((event) => event.type)).toEqual(["io.vvcu.migration.rolledback"]);
    // The twin is free again.
    expect((await restarted.engine.request(request({ id: "m-2" }))).kind).toBe("started");
    expect((await restarted.engine.settled("m-2"))?.status).toBe("completed");
  });

  it("finishes the release of a migration interrupted after the switch", async () => {
    const file = await tempFile();
    const crashed = world({ releaseHangs: true }, { journal: new FileJournal({ file }) });
    await crashed.engine.request(request());
    await until(() => crashed.driver.calls.includes("release 42@mec-a"));
    expect(crashed.engine.get("m-1")?.step).toBe("switched");

    const restarted = world(
      {},
      { journal: new FileJournal({ file }) },
      { homes: crashed.homes, present: crashed.driver.present },
    );
    expect(await restarted.engine.recover()).toEqual({ rolledBack: 0, finished: 1 });
    const record = restarted.engine.get("m-1");
    expect(record?.status).toBe("completed");
    expect(record?.timeUntilReadyMs).toBeGreaterThan(0);
    expectSingleHome(restarted.homes, "42", "mec-b");
    expect(restarted.driver.at("mec-a").has("42")).toBe(false);
    expect(restarted.driver.at("mec-b").has("42")).toBe(true);
    expect(restarted.engine.list().map((migration) => migration.id)).toEqual(["m-1"]);
  });

  it("restores the home from the journal when the restarted registry is empty", async () => {
    const file = await tempFile();
    const crashed = world({ releaseHangs: true }, { journal: new FileJournal({ file }) });
    await crashed.engine.request(request());
    await until(() => crashed.driver.calls.includes("release 42@mec-a"));
    const emptyRegistry = new HomeRegistry();
    const restarted = world(
      {},
      { journal: new FileJournal({ file }) },
      { homes: emptyRegistry, present: crashed.driver.present },
    );
    await restarted.engine.recover();
    expectSingleHome(emptyRegistry, "42", "mec-b");
  });
});

describe("MigrationEngine and the drivers' own ids", () => {
  it("releases a source by the deployment a migration recorded there, and shows the drivers' refs", async () => {
    const { engine, driver } = world({ ownRefs: true });
    await engine.request(request());
    await engine.settled("m-1");
    await engine.request(request({ id: "m-2", from: "mec-b", to: "mec-a" }));
    const back = await engine.settled("m-2");
    expect(driver.releasedRefs).toEqual(["mec-a/42", "mec-b/42#1"]);
    expect(engine.get("m-1")?.operations).toEqual([
      { action: "place", mec: "mec-b", ref: "mec-b/42#1" },
      { action: "release", mec: "mec-a", ref: "released:mec-a/42" },
    ]);
    expect(back?.operations).toEqual([
      { action: "place", mec: "mec-a", ref: "mec-a/42#2" },
      { action: "release", mec: "mec-b", ref: "released:mec-b/42#1" },
    ]);
  });

  it("after a restart, still releases by the deployment the journal recorded", async () => {
    const file = await tempFile();
    const first = world({ ownRefs: true }, { journal: new FileJournal({ file }) });
    await first.engine.request(request());
    await first.engine.settled("m-1");
    await first.journal.close();
    const restarted = world(
      { ownRefs: true },
      { journal: new FileJournal({ file }) },
      { homes: first.homes, present: first.driver.present },
    );
    await restarted.engine.recover();
    await restarted.engine.request(request({ id: "m-2", from: "mec-b", to: "mec-a" }));
    expect((await restarted.engine.settled("m-2"))?.status).toBe("completed");
    expect(restarted.driver.releasedRefs).toEqual(["mec-b/42#1"]);
  });

  it("records the release of the target when a migration rolls back", async () => {
    const { engine } = world({ ownRefs: true, neverReady: true }, { readyTimeoutMs: 20 });
    await engine.request(request());
    const undone = await engine.settled("m-1");
    expect(undone?.status).toBe("rolled-back");
    expect(undone?.operations).toEqual([
      { action: "place", mec: "mec-b", ref: "mec-b/42#1" },
      { action: "release", mec: "mec-b", ref: "released:mec-b/42#1" },
    ]);
  });
});

describe("FileJournal", () => {
  it("skips a torn last line and compacts to the latest entry per migration", async () => {
    const file = await tempFile();
    const { engine } = world({}, { journal: new FileJournal({ file }) });
    await engine.request(request());
    await engine.settled("m-1");
    await engine.close();
    const { appendFile } = await import("node:fs/promises");
    await appendFile(file, '{"migration": {"id": "m-2", "twi');
    const loaded = await new FileJournal({ file }).load();
    expect(loaded.map((entry) => [entry.migration.id, entry.migration.status])).toEqual([
      ["m-1", "completed"],
    ]);
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(1);
  });

  it("loads nothing from a missing file", async () => {
    expect(
      await new FileJournal({ file: path.join(os.tmpdir(), "vvcu-missing", "none.jsonl") }).load(),
    ).toEqual([]);
  });
});

describe("MigrationEngine with many migrations at once", () => {
  it("runs twenty at once without Node warning of a listener leak on its shutdown signal", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on("warning", onWarning);
    try {
      let open: () => void = () => {};
      const readyGate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const { engine, homes, driver } = world({ readyGate });
      const twins = Array.from({ length: 20 }, (_, index) => `t${index}`);
      for (const twin of twins) {
        homes.setHome(twin, "mec-a");
        driver.at("mec-a").add(twin);
      }
      for (const [index, twin] of twins.entries()) {
        const outcome = await engine.request(request({ id: `m-${index}`, twin }));
        expect(outcome.kind).toBe("started");
      }
      // Every one waits at the ready step, each with its deadline listening for the shutdown.
      await until(() => driver.calls.filter((call) => call.startsWith("wait")).length === twins.length);
      open();
      const done = await Promise.all(twins.map((_, index) => engine.settled(`m-${index}`)));
      expect(done.map((migration) => migration?.status)).toEqual(twins.map(() => "completed"));
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.includes("MaxListenersExceeded"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
