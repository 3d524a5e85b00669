import { describe, expect, it } from "vitest";
import {
  DEFAULT_GEOFENCE_OPTIONS,
  decide,
  type GeofenceOptions,
  noteMigration,
} from "../../../functions/lib/geofence/decide.ts";
import { at, drive, straightEast, trackThrough, ZONES } from "./tracks.ts";

/** Hysteresis alone: margin 25 m, 3 fixes and 2 s inside the new zone. */
const NO_PREDICTION: Partial<GeofenceOptions> = { prediction: false };

describe("geofence decide: scripted tracks", () => {
  it("straight crossing: migrates once, 3 fixes and 2 s past the margin", () => {
    // x = -300 + 14 k metres: fixes 24, 25, 26 are the first beyond the 25 m margin.
    const run = drive(straightEast(-300, 14, 60), NO_PREDICTION);
    expect(run.decisions).toEqual([
      { index: 26, decision: { kind: "migrate", to: "mec-b", reason: "entered-zone", sinceMs: 1_024_000 } },
    ]);
    expect(run.all[23]).toEqual({ kind: "stay", why: "within-margin" });
    expect(run.all[24]).toEqual({ kind: "stay", why: "dwelling" });
    expect(run.all[27]).toEqual({ kind: "stay", why: "cooldown" });
    expect(run.home).toBe("mec-b");
  });

  it("straight crossing with prediction: asks before the vehicle reaches the border", () => {
    // Lead 5 s at 14 m/s projects 70 m ahead: from x = -34 (fix 19) the projection is past the margin.
    const run = drive(straightEast(-300, 14, 60), { prediction: true, leadS: 5 });
    expect(run.decisions).toEqual([
      {
        index: 20,
        decision: { kind: "migrate", to: "mec-b", reason: "predicted-entry", sinceMs: 1_019_000 },
      },
    ]);
    expect(run.all[19]).toEqual({ kind: "stay", why: "predicting" });
    // The vehicle was still 20 m inside its home zone when the request went out.
    expect(ZONES.containing(at(-300 + 14 * 20))).toEqual(["mec-a"]);
  });

  it("border-hugging zig-zag: no migration at all", () => {
    const lateral = [10, -15, 30, -5, 40, -20, 35, 15, 28, -10, 45, 5, 20, -25, 33, 12];
    const points = Array.from(
      { length: 64 },
      (_, k) => [lateral[k % lateral.length] as number, k * 15] as [number, number],
    );
    const run = drive(trackThrough(points));
    expect(run.decisions).toEqual([]);
    expect(run.home).toBe("mec-a");
    // It did stray past the margin now and then; the dwell rule is what held it.
    expect(
      run.all.filter((decision) => decision.kind === "stay" && decision.why === "dwelling").length,
    ).toBeGreaterThan(5);
  });

  it("U-turn at the border: a short visit past the margin does not move the twin", () => {
    const xs = [-80, -60, -40, -20, 0, 20, 40, 45, 20, 0, -20, -40, -60, -80];
    const run = drive(trackThrough(xs.map((x) => [x, 0])));
    expect(run.decisions).toEqual([]);
    expect(run.home).toBe("mec-a");
  });

  it("U-turn short of the margin with a short lead: no prediction fires", () => {
    const xs = [-100, -80, -60, -40, -20, -5, 8, 12, 5, -10, -30, -50];
    const run = drive(trackThrough(xs.map((x) => [x, 0])), { prediction: true, leadS: 1 });
    expect(run.decisions).toEqual([]);
  });

  it("GPS jitter of a parked vehicle just across the border: no migration", () => {
    // Parked 5 m into mec-b (inside the margin), noise up to 20 m, two isolated outliers at 40 m.
    const noise = [3, -12, 18, 7, -20, 15, 0, 35, -8, 11, 19, -16, 4, 9, -3, 38, 14, -18, 6, 2];
    const points = Array.from({ length: 80 }, (_, k) => {
      const n = noise[k % noise.length] as number;
      return [5 + n, noise[(k * 7) % noise.length] as number] as [number, number];
    });
    // The station reports its own speed (0, parked) and a heading; only the position jitters.
    const fixes = trackThrough(points).map((fix, k) => ({ ...fix, speed: 0, heading: (k * 37) % 360 }));
    const run = drive(fixes, { prediction: true, leadS: 1 });
    expect(run.decisions).toEqual([]);
  });

  it("GPS jitter of a vehicle driving along the border: no migration", () => {
    const noise = [3, -12, 18, 7, -20, 15, 0, 35, -8, 11, 19, -16, 4, 9, -3, 38, 14, -18, 6, 2];
    const points = Array.from(
      { length: 80 },
      (_, k) => [noise[k % noise.length] as number, 8 * k] as [number, number],
    );
    const fixes = trackThrough(points).map((fix) => ({ ...fix, speed: 8, heading: 0 }));
    const run = drive(fixes, { prediction: true, leadS: 5 });
    expect(run.decisions).toEqual([]);
  });

  it("missing positions: gaps neither count as fixes nor break the dwell", () => {
    const points = Array.from({ length: 40 }, (_, k) =>
      k % 2 === 1 ? undefined : ([-100 + 10 * k, 0] as [number, number]),
    );
    // Real fixes at x = 40 (k=14), 60 (k=16), 80 (k=18): the third is 4 s after the first.
    const run = drive(trackThrough(points), NO_PREDICTION);
    expect(run.decisions).toEqual([
      { index: 18, decision: { kind: "migrate", to: "mec-b", reason: "entered-zone", sinceMs: 1_014_000 } },
    ]);
    expect(run.all[15]).toEqual({ kind: "stay", why: "no-position" });
  });

  it("a vehicle outside every zone keeps its home, and is first placed at the nearest zone", () => {
    const far = [
      [-20_000, 0],
      [-20_014, 0],
      [-20_028, 0],
      [-20_042, 0],
      [-20_056, 0],
    ] as [number, number][];
    const kept = drive(trackThrough(far));
    expect(kept.decisions).toEqual([]);
    expect(kept.all.slice(1)).toEqual(Array(4).fill({ kind: "stay", why: "outside-zones" }));

    const placed = drive(trackThrough(far), {}, { home: undefined });
    expect(placed.decisions[0]).toEqual({
      index: 0,
      decision: { kind: "place", mec: "mec-a", why: "nearest" },
    });
    expect(placed.home).toBe("mec-a");
  });

  it("first home: the zone containing the position", () => {
    const run = drive(trackThrough([[500, 0]]), {}, { home: undefined });
    expect(run.decisions).toEqual([
      { index: 0, decision: { kind: "place", mec: "mec-b", why: "containing" } },
    ]);
  });

  it("drives back and forth: each crossing once, never while one runs, never in the cooldown", () => {
    const out = Array.from({ length: 30 }, (_, k) => [-200 + 20 * k, 0] as [number, number]);
    const back = Array.from({ length: 60 }, (_, k) => [380 - 20 * k, 0] as [number, number]);
    const run = drive(
      trackThrough([...out, ...back]),
      { ...NO_PREDICTION, cooldownMs: 5_000 },
      {
        home: "mec-a",
        migrationMs: 3_000,
      },
    );
    expect(
      run.decisions.map(({ index, decision }) => [index, decision.kind === "migrate" && decision.to]),
    ).toEqual([
      [14, "mec-b"],
      [53, "mec-a"],
    ]);
    expect(run.all[15]).toEqual({ kind: "stay", why: "migration-running" });
    expect(run.all[17]).toEqual({ kind: "stay", why: "cooldown" });
  });
  it("without migration events, infers the end of a migration from the home change", () => {
    const out = Array.from({ length: 30 }, (_, k) => [-200 + 20 * k, 0] as [number, number]);
    const back = Array.from({ length: 60 }, (_, k) => [380 - 20 * k, 0] as [number, number]);
    const run = drive(
      trackThrough([...out, ...back]),
      { ...NO_PREDICTION, cooldownMs: 5_000 },
      {
        home: "mec-a",
        migrationMs: 3_000,
        outcomeEvents: false,
      },
    );
    expect(run.decisions.map(({ index }) => index)).toEqual([14, 53]);
    expect(run.all[16]).toEqual({ kind: "stay", why: "migration-running" });
    expect(run.all[17]).toEqual({ kind: "stay", why: "cooldown" });
  });
});

describe("geofence decide: state rules", () => {
  const options = { ...DEFAULT_GEOFENCE_OPTIONS, prediction: false };
  const context = (nowMs: number) => ({ home: "mec-a", nowMs, zones: ZONES, options });

  it("ignores a fix not newer than the last one", () => {
    const first = decide({}, { timeMs: 10, position: at(-50) }, context(10));
    expect(decide(first.state, { timeMs: 10, position: at(100) }, context(11)).decision).toEqual({
      kind: "stay",
      why: "stale-fix",
    });
  });

  it("a twin reporting itself migrating blocks requests", () => {
    const result = decide({}, { timeMs: 10, position: at(100) }, { ...context(10), migrating: true });
    expect(result.decision).toEqual({ kind: "stay", why: "migration-running" });
  });

  it("a request nobody reported on stops blocking after the running timeout", () => {
    const state = { running: { to: "mec-b", sinceMs: 0 } };
    expect(decide(state, { timeMs: 5, position: at(100) }, context(1_000)).decision).toEqual({
      kind: "stay",
      why: "migration-running",
    });
    expect(decide(state, { timeMs: 5, position: at(100) }, context(200_000)).decision).toEqual({
      kind: "stay",
      why: "dwelling",
    });
  });

  it("a twin that stops migrating at the same home was rolled back: running ends, cooldown starts", () => {
    const requested = decide(
      {},
      { timeMs: 1, position: at(100) },
      { ...context(1), options: { ...options, minFixes: 1, minDwellMs: 0 } },
    );
    expect(requested.decision.kind).toBe("migrate");
    const migrating = decide(
      requested.state,
      { timeMs: 2, position: at(110) },
      { ...context(2), migrating: true },
    );
    expect(migrating.decision).toEqual({ kind: "stay", why: "migration-running" });
    const stable = decide(migrating.state, { timeMs: 3, position: at(120) }, context(3));
    expect(stable.decision).toEqual({ kind: "stay", why: "cooldown" });
    expect(stable.state.running).toBeUndefined();
    expect(stable.state.cooldownUntilMs).toBe(3 + options.cooldownMs);
  });

  it("a stale outcome does not unblock a newer migration; a failure starts the cooldown", () => {
    const running = noteMigration({}, { id: "m-2", to: "mec-b", status: "running" }, 100, options);
    expect(noteMigration(running, { id: "m-1", to: "mec-b", status: "completed" }, 200, options)).toBe(
      running,
    );
    const afterFailure = noteMigration(
      running,
      { id: "m-2", to: "mec-b", status: "rolled-back" },
      200,
      options,
    );
    expect(afterFailure.running).toBeUndefined();
    expect(afterFailure.cooldownUntilMs).toBe(200 + options.cooldownMs);
  });

  it("an unknown home zone counts as left", () => {
    const result = decide(
      {},
      { timeMs: 1, position: at(100) },
      { ...context(1), home: "mec-gone", options: { ...options, minFixes: 1, minDwellMs: 0 } },
    );
    expect(result.decision).toEqual({ kind: "migrate", to: "mec-b", reason: "entered-zone", sinceMs: 1 });
  });
});
