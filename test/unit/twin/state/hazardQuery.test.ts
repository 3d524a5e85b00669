import { describe, expect, it } from "vitest";
import { destinationPoint } from "../../../../functions/lib/geo/sphere.ts";
import type { Hazard } from "../../../../functions/lib/model/twin.ts";
import { currentHazards } from "../../../../functions/lib/twin/state/hazardQuery.ts";
import { P, placed, T0 } from "../queryTwins.ts";

const iso = (ms: number) => new Date(ms).toISOString();
const roadworks = (actionId: string, metres: number, validForMs: number): Hazard => ({
  actionId,
  causeCode: 3,
  subCauseCode: 0,
  description: "roadworks",
  position: destinationPoint(P, 0, metres),
  validUntil: iso(T0 + validForMs),
});

describe("currentHazards", () => {
  const rsu = placed("900", 0, 0, {
    stationType: "roadSideUnit",
    hazards: [roadworks("900:1", 50, 60_000), roadworks("900:2", 800, 60_000), roadworks("900:3", 20, 1_000)],
  });
  const car = placed("5", 30, 90, {
    hazards: [
      // the same event forwarded by a car, held for longer; and an event without a position
      roadworks("900:1", 50, 120_000),
      { actionId: "5:1", causeCode: 94, description: "stationary vehicle", validUntil: iso(T0 + 60_000) },
    ],
  });

  it("lists each valid event once with every station reporting it", () => {
    expect(currentHazards([car, rsu], {}, T0)).toEqual([
      {
        actionId: "5:1",
        causeCode: 94,
        description: "stationary vehicle",
        position: car.position,
        validUntil: iso(T0 + 60_000),
        reportingStations: ["5"],
      },
      {
        actionId: "900:1",
        causeCode: 3,
        subCauseCode: 0,
        description: "roadworks",
        position: destinationPoint(P, 0, 50),
        validUntil: iso(T0 + 120_000),
        reportingStations: ["5", "900"],
      },
      expect.objectContaining({ actionId: "900:2", reportingStations: ["900"] }),
      expect.objectContaining({ actionId: "900:3", reportingStations: ["900"] }),
    ]);
  });

  it("leaves out events whose validity has ended at the time of asking", () => {
    expect(currentHazards([rsu], {}, T0 + 1_000).map((h) => h.actionId)).toEqual(["900:1", "900:2"]);
    expect(currentHazards([rsu, car], {}, T0 + 60_000).map((h) => h.actionId)).toEqual(["900:1"]);
    expect(currentHazards([rsu, car], {}, T0 + 120_000)).toEqual([]);
  });

  it("filters by area: near (nearest first, with the distance) and bbox", () => {
    const near = currentHazards([rsu, car], { near: { ...P, radiusM: 100 } }, T0);
    expect(near.map((h) => [h.actionId, Math.round(h.distanceFromPointM ?? -1)])).toEqual([
      ["900:3", 20],
      ["5:1", 30],
      ["900:1", 50],
    ]);
    const box = {
      west: P.lon - 0.001,
      east: P.lon + 0.001,
      south: destinationPoint(P, 0, 40).lat,
      north: P.lat + 0.01,
    };
    expect(currentHazards([rsu, car], { bbox: box }, T0).map((h) => h.actionId)).toEqual(["900:1", "900:2"]);
  });
});
