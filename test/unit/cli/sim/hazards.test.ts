import { describe, expect, it } from "vitest";
import { AVEIRO_RSUS } from "../../../../cli/sim/routes.ts";
import { type SimMessage, Simulation } from "../../../../cli/sim/simulation.ts";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import type { DenmMessage } from "../../../../functions/lib/cits/types.ts";
import { distanceM } from "../../../../functions/lib/geo/sphere.ts";
import { currentHazards } from "../../../../functions/lib/twin/state/hazardQuery.ts";
import { DEFAULT_TWIN_OPTIONS } from "../../../../functions/lib/twin/state/options.ts";
import type { TwinRecord } from "../../../../functions/lib/twin/state/records.ts";
import { applyEvent } from "../../../../functions/lib/twin/state/reducer.ts";

const START = Date.parse("2026-12-03T10:00:00Z");

describe("the simulator's RSU hazards", () => {
  const simulation = new Simulation({
    vehicles: 0,
    rateHz: 1,
    startMs: START,
    cpmRateHz: 0,
    logIntervalS: 0,
    denmGapS: 30,
  });
  const denms: SimMessage[] = [];
  for (let t = 0; t <= 170_000; t += 500) denms.push(...simulation.tick(START + t));

  it("announce roadworks and stationary vehicles near the RSUs, repeat them, and cancel them", () => {
    const decoded = denms.map((message) => {
      expect(message.kind).toBe("denm");
      const result = decode(message.topic, message.payload);
      if (!result.ok) throw new Error(result.rejection.reason);
      return result.message as DenmMessage;
    });
    const first = decoded.filter((denm) => denm.stationId === "900001");
    const byAction = new Map<string, DenmMessage[]>();
    for (const denm of first) byAction.set(denm.actionId, [...(byAction.get(denm.actionId) ?? []), denm]);
    expect([...byAction.keys()]).toEqual(["900001:1", "900001:2"]);
    const roadworks = byAction.get("900001:1") ?? [];
    // repeated every 5 s for the 60 s the event lasts, then one cancellation
    expect(roadworks).toHaveLength(13);
    expect(roadworks.slice(0, -1).every((denm) => denm.termination === undefined)).toBe(true);
    expect(roadworks.at(-1)?.termination).toBe("isCancellation");
    expect(roadworks[0]?.eventType).toMatchObject({ causeCode: 3, subCauseCode: 0 });
    expect(byAction.get("900001:2")?.[0]?.eventType).toMatchObject({ causeCode: 94 });
    expect(roadworks[0]?.validityDurationS).toBe(120);
    const site = AVEIRO_RSUS[0] as (typeof AVEIRO_RSUS)[number];
    const away = distanceM(site, roadworks[0]?.eventPosition ?? { lat: 0, lon: 0 });
    expect(away).toBeGreaterThanOrEqual(30);
    expect(away).toBeLessThanOrEqual(80.5);
    // the second event starts 30 s after the first one's end
    const secondStart = byAction.get("900001:2")?.[0]?.detectionTimeMs as number;
    expect(secondStart - (roadworks[0]?.detectionTimeMs as number)).toBe(90_000);
  });

  it("become a hazard of the RSU's twin while they last, and none after the cancellation", () => {
    let record: TwinRecord | undefined;
    const heldAt: [number, number][] = [];
    denms.forEach((message, index) => {
      if (message.stationId !== 900_001) return;
      const result = decode(message.topic, message.payload);
      if (!result.ok) throw new Error(result.rejection.reason);
      const nowMs = message.timeMs + 50;
      record = applyEvent(record, result.message, `d-${index}`, {
        mec: "mec-a",
        nowMs,
        options: DEFAULT_TWIN_OPTIONS,
      }).record;
      heldAt.push([message.timeMs - START, currentHazards([record.twin], {}, nowMs).length]);
    });
    const during = heldAt.filter(([, count]) => count === 1).map(([t]) => t);
    const over = heldAt.filter(([, count]) => count === 0).map(([t]) => t);
    expect(during.length).toBeGreaterThan(20);
    // only the cancellations leave the twin without a hazard
    expect(over).toHaveLength(2);
  });
});
