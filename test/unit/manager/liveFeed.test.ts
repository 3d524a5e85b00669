import { describe, expect, it } from "vitest";
import {
  FeedDiff,
  type FeedState,
  figuresOf,
  markerOf,
  nextReadDelayMs,
  PendingEvents,
} from "../../../functions/lib/manager/liveFeed.ts";
import type { TwinMarker } from "../../../functions/lib/model/liveFeed.ts";
import type { Migration } from "../../../functions/lib/model/migration.ts";
import { twinAt } from "../geofence/tracks.ts";

const marker = (id: string, lat: number, extra: Partial<TwinMarker> = {}): TwinMarker => ({
  id,
  stationType: "passengerCar",
  mec: "mec-a",
  status: "stable",
  liveness: "live",
  lat,
  lon: -8.65,
  ...extra,
});

const migration = (id: string, extra: Partial<Migration> = {}): Migration => ({
  id,
  twin: "1",
  from: "mec-a",
  to: "mec-b",
  trigger: "geofence",
  reason: "entered-zone",
  status: "running",
  step: "reserved",
  driver: "local",
  requestedAt: "2026-12-03T10:00:00.000Z",
  ...extra,
});

const figures = {
  twins: 0,
  mecs: [],
  messagesPerS: 0,
  migrations: { running: 0, completed: 0, failed: 0, "rolled-back": 0 },
};
const state = (twins: TwinMarker[], migrations: Migration[] = [], f = figures): FeedState => ({
  twins,
  migrations,
  figures: f,
});

/** The events in SSE text, as [name, data]. */
function parse(text: string): [string, unknown][] {
  return text
    .split("\n\n")
    .filter((block) => block !== "")
    .map((block) => {
      const [eventLine, dataLine] = block.split("\n");
      return [
        eventLine?.slice("event: ".length) ?? "",
        JSON.parse(dataLine?.slice("data: ".length) ?? "null"),
      ];
    });
}

describe("markerOf and figuresOf", () => {
  it("keeps what a map needs and sums the twins' message rates", () => {
    const twin = { ...twinAt(0, 1, { id: "9", mec: "mec-b" }), messageRates: { cam: 10, cpm: 1.5 } };
    const m = markerOf(twin);
    expect(m).toEqual({
      id: "9",
      stationType: "passengerCar",
      mec: "mec-b",
      status: "stable",
      liveness: "live",
      lat: twin.position?.lat,
      lon: twin.position?.lon,
      speed: 14,
      heading: 90,
    });
    const other = { ...twinAt(0, 1, { id: "10" }), messageRates: { cam: 2 } };
    const result = figuresOf(
      [twin, other],
      [{ id: "mec-a", twins: 1 }],
      [migration("m1"), migration("m2", { status: "completed" }), migration("m3", { status: "completed" })],
      3,
    );
    expect(result).toEqual({
      twins: 2,
      mecs: [{ id: "mec-a", twins: 1 }],
      messagesPerS: 13.5,
      rejected: 3,
      migrations: { running: 1, completed: 2, failed: 0, "rolled-back": 0 },
    });
    expect(figuresOf([], [], [], undefined)).not.toHaveProperty("rejected");
  });
});

describe("FeedDiff", () => {
  it("answers only what changed: moved twins, removed twins, migrations that moved on, new figures", () => {
    const diff = new FeedDiff();
    const first = diff.next(state([marker("1", 40), marker("2", 41)], [migration("m1")]));
    expect(first.twins.map((t) => t.id)).toEqual(["1", "2"]);
    expect(first.figures).toEqual(figures);

    const second = diff.next(
      state(
        [marker("1", 40), marker("3", 42)],
        [migration("m2"), migration("m1", { step: "ready", timeUntilReadyMs: 12 })],
      ),
    );
    expect(second.twins.map((t) => t.id)).toEqual(["3"]);
    expect(second.removed).toEqual(["2"]);
    // Oldest first: m1 was listed after m2 (the list is newest first).
    expect(second.migrations.map((m) => [m.id, m.step])).toEqual([
      ["m1", "ready"],
      ["m2", "reserved"],
    ]);
    expect(second.figures).toBeUndefined();

    const third = diff.next(state([marker("1", 40, { status: "migrating" }), marker("3", 42)], []));
    expect(third.twins.map((t) => [t.id, t.status])).toEqual([["1", "migrating"]]);
    expect(third.migrations).toEqual([]);
  });

  it("gives the whole last reading to a client that just connected", () => {
    const diff = new FeedDiff();
    expect(diff.current(10)).toBeUndefined();
    diff.next(state([marker("1", 40)], [migration("m3"), migration("m2"), migration("m1")]));
    diff.next(state([marker("1", 40)], [migration("m3"), migration("m2"), migration("m1")]));
    const current = diff.current(2);
    expect(current?.twins.map((t) => t.id)).toEqual(["1"]);
    expect(current?.migrations.map((m) => m.id)).toEqual(["m2", "m3"]);
    expect(current?.figures).toEqual(figures);
  });
});

describe("PendingEvents", () => {
  it("holds one entry per twin however often it changes, with its latest state", () => {
    const pending = new PendingEvents();
    for (let i = 0; i < 1000; i++) {
      pending.add({ twins: [marker("1", 40 + i / 1000), marker("2", 41)], removed: [], migrations: [] });
    }
    expect(pending.size).toBe(2);
    const events = parse(pending.take(1_000_000));
    expect(events).toEqual([
      ["twin", marker("1", 40.999)],
      ["twin", marker("2", 41)],
    ]);
    expect(pending.size).toBe(0);
  });

  it("replaces a pending change by the removal, and the removal by a later change", () => {
    const pending = new PendingEvents();
    pending.add({ twins: [marker("1", 40), marker("2", 40)], removed: [], migrations: [] });
    pending.add({ twins: [], removed: ["1", "2"], migrations: [] });
    pending.add({ twins: [marker("2", 45)], removed: [], migrations: [] });
    expect(parse(pending.take(1_000_000))).toEqual([
      ["twin-removed", { id: "1" }],
      ["twin", marker("2", 45)],
    ]);
  });

  it("keeps the latest state of at most maxMigrations migrations, the oldest dropped first", () => {
    const pending = new PendingEvents(3);
    for (let i = 1; i <= 5; i++) pending.add({ twins: [], removed: [], migrations: [migration(`m${i}`)] });
    pending.add({
      twins: [],
      removed: [],
      migrations: [migration("m4", { status: "completed", step: "done" })],
    });
    const events = parse(pending.take(1_000_000));
    expect(events.map(([, data]) => [(data as Migration).id, (data as Migration).status])).toEqual([
      ["m3", "running"],
      ["m5", "running"],
      ["m4", "completed"],
    ]);
  });

  it("takes about maxChars at a time, at least one event, until nothing is left; figures last", () => {
    const pending = new PendingEvents();
    const twins = Array.from({ length: 50 }, (_, i) => marker(String(i), 40));
    pending.add({ twins, removed: [], migrations: [migration("m1")], figures });
    const chunks: string[] = [];
    while (pending.size > 0) chunks.push(pending.take(1));
    expect(chunks).toHaveLength(52);
    const events = chunks.flatMap(parse);
    expect(events[0]?.[0]).toBe("migration");
    expect(events.at(-1)).toEqual(["figures", figures]);
    expect(events.filter(([name]) => name === "twin")).toHaveLength(50);
  });
});

describe("nextReadDelayMs", () => {
  it("keeps the interval while readings are cheap, and spaces them so they take at most the share", () => {
    expect(nextReadDelayMs(500, 5, 0.05)).toBe(500);
    // 40 ms readings at most 5% of the time: one every 800 ms, so 760 ms between them.
    expect(nextReadDelayMs(500, 40, 0.05)).toBeCloseTo(760);
    expect(40 / (nextReadDelayMs(500, 40, 0.05) + 40)).toBeCloseTo(0.05);
  });
});
