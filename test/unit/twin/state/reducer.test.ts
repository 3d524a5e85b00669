import { describe, expect, it } from "vitest";
import type { CitsMessage } from "../../../../functions/lib/cits/types.ts";
import { distanceM } from "../../../../functions/lib/geo/sphere.ts";
import { twinOptions } from "../../../../functions/lib/twin/state/options.ts";
import {
  APPLIED_EVENT_WINDOW,
  appliedIdsOf,
  RECENT_EVENT_IDS,
  type TwinRecord,
} from "../../../../functions/lib/twin/state/records.ts";
import { type ApplyContext, applyEvent } from "../../../../functions/lib/twin/state/reducer.ts";
import { cam, cpm, denm, logs, T0 } from "../messages.ts";

const options = twinOptions({ trajectoryLength: 3, trajectoryIntervalMs: 0, rateWindowMs: 1_000 });
const at = (nowMs: number): ApplyContext => ({ mec: "mec-a", nowMs, options });

/** Applies events in order, each with its receipt time; ids default to `e<index>`. */
function run(events: { message: CitsMessage; id?: string; nowMs?: number }[]): TwinRecord {
  let record: TwinRecord | undefined;
  events.forEach(({ message, id, nowMs }, index) => {
    record = applyEvent(record, message, id ?? `e${index}`, at(nowMs ?? T0 + index * 100)).record;
  });
  if (!record) throw new Error("no events");
  return record;
}

describe("applyEvent: CAM", () => {
  it("creates the twin on first sight with the station's identity and kinematics", () => {
    const result = applyEvent(
      undefined,
      cam("1001", 0, {
        longitudinalAcceleration: 0.4,
        yawRate: -1.5,
        length: 4.2,
        width: 1.8,
        exteriorLights: ["lowBeamHeadlightsOn"],
      }),
      "ev-1",
      at(T0),
    );
    expect(result.created).toBe(true);
    expect(result.changed).toBe(true);
    const twin = result.record.twin;
    expect(twin).toMatchObject({
      id: "1001",
      stationType: "passengerCar",
      mec: "mec-a",
      status: "stable",
      liveness: "live",
      position: { lat: 40.6405, lon: -8.6538 },
      speed: 10,
      heading: 90,
      longitudinalAcceleration: 0.4,
      yawRate: -1.5,
      length: 4.2,
      width: 1.8,
      exteriorLights: ["lowBeamHeadlightsOn"],
      lastSeen: new Date(T0).toISOString(),
      messages: { cam: 1, cpm: 0, denm: 0, vam: 0, logs: 0 },
      distanceM: 0,
      averageSpeed: 10,
      maxSpeed: 10,
      sequence: T0,
    });
    expect(twin.trajectory).toEqual([{ lat: 40.6405, lon: -8.6538, timeMs: T0 }]);
  });

  it("accumulates distance, average and maximum speed, and bounds the trajectory", () => {
    const points = [
      { lat: 40.64, lon: -8.654 },
      { lat: 40.641, lon: -8.654 },
      { lat: 40.642, lon: -8.654 },
      { lat: 40.643, lon: -8.653 },
    ];
    const speeds = [5, 15, 10, 30];
    const record = run(
      points.map((position, i) => ({ message: cam("7", i * 100, { position, speed: speeds[i] }) })),
    );
    const twin = record.twin;
    const expectedDistance = points
      .slice(1)
      .reduce((sum, point, i) => sum + distanceM(points[i] ?? point, point), 0);
    expect(twin.distanceM).toBeCloseTo(expectedDistance, 6);
    expect(twin.distanceM).toBeGreaterThan(300); // about 111 m per 0.001 degree of latitude
    expect(twin.averageSpeed).toBeCloseTo(15, 10);
    expect(twin.maxSpeed).toBe(30);
    expect(twin.speed).toBe(30);
    expect(twin.trajectory.map((point) => point.lat)).toEqual([40.641, 40.642, 40.643]);
    expect(twin.position).toEqual(points[3]);
  });

  it("keeps the last known position when a CAM carries none (ETSI unavailable)", () => {
    const record = run([
      { message: cam("7", 0) },
      { message: cam("7", 100, { position: undefined, speed: undefined, heading: 45 }) },
    ]);
    expect(record.twin.position).toEqual({ lat: 40.6405, lon: -8.6538 });
    expect(record.twin.speed).toBe(10);
    expect(record.twin.heading).toBe(45);
    expect(record.twin.trajectory).toHaveLength(1);
    expect(record.accumulators?.speedSamples).toBe(1);
  });
});

describe("applyEvent: idempotence and late events", () => {
  it("changes nothing when the same event id comes again", () => {
    const first = applyEvent(undefined, cam("1", 0), "same", at(T0)).record;
    const again = applyEvent(first, cam("1", 0), "same", at(T0 + 50));
    expect(again.outcome).toBe("duplicate");
    expect(again.changed).toBe(false);
    expect(again.record).toBe(first);
    expect(again.record.twin.messages.cam).toBe(1);
  });

  it("counts a late event once but does not move the twin backwards", () => {
    const record = run([
      { message: cam("1", 200, { position: { lat: 40.65, lon: -8.65 }, speed: 20 }) },
      { message: cam("1", 100, { position: { lat: 40.6, lon: -8.6 }, speed: 1 }), id: "late" },
    ]);
    expect(record.twin.position).toEqual({ lat: 40.65, lon: -8.65 });
    expect(record.twin.speed).toBe(20);
    expect(record.twin.sequence).toBe(T0 + 200);
    expect(record.twin.messages.cam).toBe(2);
    expect(record.twin.trajectory).toHaveLength(1);
    expect(appliedIdsOf(record)).toContain("late");
    const replay = applyEvent(record, cam("1", 100), "late", at(T0 + 300));
    expect(replay.outcome).toBe("duplicate");
  });

  it("reports late and applied outcomes", () => {
    const first = applyEvent(undefined, cam("1", 200), "a", at(T0)).record;
    expect(applyEvent(first, cam("1", 100), "b", at(T0)).outcome).toBe("late");
    expect(applyEvent(first, cam("1", 200), "c", at(T0)).outcome).toBe("applied");
  });

  it("keeps a bounded window of applied ids", () => {
    let record: TwinRecord | undefined;
    for (let i = 0; i < APPLIED_EVENT_WINDOW + 40; i++) {
      record = applyEvent(record, cam("1", i), `id-${i}`, at(T0 + i)).record;
    }
    if (!record) throw new Error("no record");
    const ids = appliedIdsOf(record);
    expect(ids.length).toBeLessThan(APPLIED_EVENT_WINDOW + RECENT_EVENT_IDS);
    expect(ids.slice(-APPLIED_EVENT_WINDOW)).toEqual(
      Array.from({ length: APPLIED_EVENT_WINDOW }, (_, i) => `id-${i + 40}`),
    );
    expect(ids).not.toContain("id-0");
    expect(ids).not.toContain("id-31");
    // everything in the window is still recognised as applied
    expect(applyEvent(record, cam("1", 5), "id-40", at(T0)).outcome).toBe("duplicate");
    expect(record?.twin.messages.cam).toBe(APPLIED_EVENT_WINDOW + 40);
  });
});

describe("applyEvent: CPM, DENM, LOGS", () => {
  it("keeps the CPM's perceived objects with positions, and the station's reference position", () => {
    const record = run([{ message: cpm("rsu-1", 0, { speed: 0, heading: 0 }) }]);
    expect(record.twin.stationType).toBe("roadSideUnit");
    expect(record.twin.position).toEqual({ lat: 40.6443, lon: -8.6455 });
    expect(record.twin.perceivedObjects).toEqual([
      { objectId: 1, lat: 40.6444, lon: -8.6454, speed: 8.5, heading: 180 },
      { objectId: 2, lat: 40.6446, lon: -8.6457, speed: 1.2, classification: "pedestrian" },
    ]);
    expect(record.twin.messages.cpm).toBe(1);
  });

  it("replaces the objects with each newer CPM", () => {
    const record = run([
      { message: cpm("rsu-1", 0) },
      {
        message: cpm("rsu-1", 100, {
          perceivedObjects: [{ objectId: 9, position: { lat: 40.7, lon: -8.7 } }],
        }),
      },
    ]);
    expect(record.twin.perceivedObjects).toEqual([{ objectId: 9, lat: 40.7, lon: -8.7 }]);
  });

  it("keeps a DENM hazard until its validity ends and removes it on cancellation", () => {
    const created = run([{ message: denm("5", 0, { validityDurationS: 30 }), nowMs: T0 }]);
    expect(created.twin.hazards).toEqual([
      {
        actionId: "5:1",
        causeCode: 97,
        subCauseCode: 2,
        description: "collision risk",
        position: { lat: 40.641, lon: -8.652 },
        validUntil: new Date(T0 + 30_000).toISOString(),
      },
    ]);
    // any later event after the validity prunes it
    const expired = applyEvent(created, cam("5", 40_000), "later", at(T0 + 31_000)).record;
    expect(expired.twin.hazards).toEqual([]);
    // a cancellation removes it at once
    const cancelled = applyEvent(
      created,
      denm("5", 1_000, { termination: "isCancellation" }),
      "cancel",
      at(T0 + 1_000),
    );
    expect(cancelled.record.twin.hazards).toEqual([]);
    expect(cancelled.record.twin.messages.denm).toBe(2);
  });

  it("keeps one hazard per action id, updated in place", () => {
    const record = run([
      { message: denm("5", 0) },
      { message: denm("5", 100, { actionId: "5:2", eventType: { causeCode: 2 } }) },
      { message: denm("5", 200, { eventPosition: { lat: 40.7, lon: -8.6 } }) },
    ]);
    expect(record.twin.hazards.map((hazard) => [hazard.actionId, hazard.causeCode])).toEqual([
      ["5:2", 2],
      ["5:1", 97],
    ]);
    expect(record.twin.hazards[1]?.position).toEqual({ lat: 40.7, lon: -8.6 });
  });

  it("merges network flow and signal quality from LOGS/network and LOGS/access", () => {
    const record = run([
      { message: logs("9", 0) },
      {
        message: logs("9", 100, {
          kind: "access",
          throughputBps: undefined,
          rxBytes: undefined,
          txBytes: undefined,
          rssiDbm: -71,
          rsrpDbm: -95,
          rsrqDb: -11,
          sinrDb: 13.5,
        }),
      },
    ]);
    expect(record.twin.network).toEqual({
      throughputBps: 2_400_000,
      rxBytes: 1_000,
      txBytes: 500,
      rssiDbm: -71,
      rsrpDbm: -95,
      rsrqDb: -11,
      sinrDb: 13.5,
      updatedAt: new Date(T0 + 100).toISOString(),
    });
    expect(record.twin.messages.logs).toBe(2);
    expect(record.twin.stationType).toBe("unknown");
  });
});

describe("applyEvent: message rates", () => {
  it("computes messages per second by type once the window has run", () => {
    const events: { message: CitsMessage; nowMs: number }[] = [];
    // 10 CAMs and 2 CPMs within the first second, then one CAM that closes the window
    for (let i = 0; i < 10; i++) events.push({ message: cam("3", i * 100), nowMs: T0 + i * 100 });
    events.push({ message: cpm("3", 950), nowMs: T0 + 950 });
    events.push({ message: cpm("3", 960), nowMs: T0 + 960 });
    const beforeClose = run(events);
    expect(beforeClose.twin.messageRates).toEqual({});
    const closed = applyEvent(beforeClose, cam("3", 1_250), "close", at(T0 + 1_250)).record;
    expect(closed.twin.messageRates.cam).toBeCloseTo(10 / 1.25, 10);
    expect(closed.twin.messageRates.cpm).toBeCloseTo(2 / 1.25, 10);
    expect(closed.twin.messageRates.denm).toBe(0);
    expect(closed.accumulators?.rateWindowCounts).toEqual({ cam: 1 });
  });
});

describe("applyEvent: trajectory sampling", () => {
  it("adds a point at most once per trajectory interval and shares the trajectory in between", () => {
    const sampled = twinOptions({ trajectoryIntervalMs: 1_000 });
    const context = { mec: "mec-a", nowMs: T0, options: sampled };
    let record = applyEvent(undefined, cam("8", 0), "t0", context).record;
    const afterFirst = record.twin.trajectory;
    for (let i = 1; i <= 9; i++) {
      record = applyEvent(
        record,
        cam("8", i * 100, { position: { lat: 40.64 + i * 1e-4, lon: -8.65 } }),
        `t${i}`,
        context,
      ).record;
    }
    expect(record.twin.trajectory).toBe(afterFirst);
    expect(record.twin.position).toEqual({ lat: 40.6409, lon: -8.65 });
    record = applyEvent(
      record,
      cam("8", 1_000, { position: { lat: 40.65, lon: -8.65 } }),
      "t10",
      context,
    ).record;
    expect(record.twin.trajectory.map((point) => point.timeMs - T0)).toEqual([0, 1_000]);
  });
});
