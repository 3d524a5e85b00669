import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { distanceToBoundaryM, pointInGeometry } from "../../../functions/lib/geo/polygon.ts";
import type { LinearRing, MultiPolygon, Polygon } from "../../../functions/lib/geo/types.ts";
import { type Zone, ZoneIndex } from "../../../functions/lib/geo/zoneIndex.ts";
import { tiledZones } from "../../bench/zones.bench.ts";

function naiveContaining(zones: readonly Zone[], lat: number, lon: number): string[] {
  return zones.filter((zone) => pointInGeometry(zone.geometry, { lat, lon })).map((zone) => zone.id);
}

/** A star-shaped ring around (cx, cy): angles sorted, radii between rMin and rMax; closed. */
function starRing(cx: number, cy: number, angles: number[], radii: number[]): LinearRing {
  const sorted = [...angles].sort((a, b) => a - b);
  const ring = sorted.map((angle, i) => [
    cx + (radii[i] as number) * Math.cos(angle),
    cy + (radii[i] as number) * Math.sin(angle),
  ]);
  ring.push([...(ring[0] as number[])]);
  return ring;
}

const starArbitrary = (rMin: number, rMax: number) =>
  fc.integer({ min: 3, max: 20 }).chain((vertices) =>
    fc.record({
      cx: fc.double({ min: -8.8, max: -8.5, noNaN: true }),
      cy: fc.double({ min: 40.5, max: 40.8, noNaN: true }),
      angles: fc.uniqueArray(fc.double({ min: 0, max: 2 * Math.PI, noNaN: true, maxExcluded: true }), {
        minLength: vertices,
        maxLength: vertices,
      }),
      radii: fc.array(fc.double({ min: rMin, max: rMax, noNaN: true }), {
        minLength: vertices,
        maxLength: vertices,
      }),
    }),
  );

/** Polygons (some with a hole) and MultiPolygons of star shapes, overlapping at random. */
const zonesArbitrary = fc
  .array(
    fc.record({
      outer: starArbitrary(0.02, 0.15),
      hole: fc.option(fc.double({ min: 0.1, max: 0.9, noNaN: true })),
      second: fc.option(starArbitrary(0.01, 0.05)),
    }),
    { minLength: 1, maxLength: 30 },
  )
  .map((specs) =>
    specs.map(({ outer, hole, second }, i): Zone => {
      const rings = [starRing(outer.cx, outer.cy, outer.angles, outer.radii)];
      if (hole !== null) {
        // Inside the outer ring for sure: a smaller regular polygon within the smallest radius.
        const r = Math.min(...outer.radii) * hole * 0.9;
        const angles = [0, 1, 2, 3, 4].map((k) => (k * 2 * Math.PI) / 5);
        rings.push(
          starRing(
            outer.cx,
            outer.cy,
            angles,
            angles.map(() => r),
          ),
        );
      }
      const geometry: Polygon | MultiPolygon =
        second === null
          ? { type: "Polygon", coordinates: rings }
          : {
              type: "MultiPolygon",
              coordinates: [rings, [starRing(second.cx, second.cy, second.angles, second.radii)]],
            };
      return { id: `z${i}`, geometry };
    }),
  );

/** Random points, plus every vertex and edge midpoint of the zones (the hard cases). */
function probePoints(zones: readonly Zone[], random: number[]): { lat: number; lon: number }[] {
  const points = random.map((r, i) => ({
    lon: -8.95 + r * 0.6,
    lat: 40.35 + (random[(i * 7 + 3) % random.length] ?? 0.5) * 0.6,
  }));
  for (const zone of zones) {
    const polygons =
      zone.geometry.type === "Polygon" ? [zone.geometry.coordinates] : zone.geometry.coordinates;
    for (const ring of polygons.flat()) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const [ax, ay] = ring[i] as [number, number];
        const [bx, by] = ring[i + 1] as [number, number];
        points.push({ lon: ax, lat: ay }, { lon: (ax + bx) / 2, lat: (ay + by) / 2 });
      }
    }
  }
  return points;
}

describe("ZoneIndex", () => {
  it("answers exactly like the naive loop on random zone sets, at random points, vertices and edges", () => {
    fc.assert(
      fc.property(
        zonesArbitrary,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 50, maxLength: 200 }),
        (zones, random) => {
          const index = new ZoneIndex(zones);
          for (const { lat, lon } of probePoints(zones, random)) {
            expect(index.containing(lat, lon)).toEqual(naiveContaining(zones, lat, lon));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("finds exactly one zone for points inside a tiling, the same as the naive loop", () => {
    const zones = tiledZones(12, 8, 3);
    const index = new ZoneIndex(zones);
    fc.assert(
      fc.property(
        fc.double({ min: -8.9 + 0.001, max: -8.9 + 12 * 0.02 - 0.001, noNaN: true }),
        fc.double({ min: 40.4 + 0.001, max: 40.4 + 8 * 0.015 - 0.001, noNaN: true }),
        (lon, lat) => {
          const found = index.containing(lat, lon);
          expect(found).toEqual(naiveContaining(zones, lat, lon));
          expect(found).toHaveLength(1);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("returns nothing outside every zone, for NaN, and for an empty index", () => {
    const index = new ZoneIndex(tiledZones(3, 3, 1));
    expect(index.containing(0, 0)).toEqual([]);
    expect(index.containing(Number.NaN, -8.88)).toEqual([]);
    expect(index.containing(40.41, Number.NaN)).toEqual([]);
    const empty = new ZoneIndex([]);
    expect(empty.size).toBe(0);
    expect(empty.containing(40.64, -8.65)).toEqual([]);
    expect(empty.nearest(40.64, -8.65)).toBeUndefined();
  });

  it("gives zones back by id and rejects duplicate ids", () => {
    const zones = tiledZones(2, 2, 1);
    const index = new ZoneIndex(zones);
    expect(index.size).toBe(4);
    expect(index.zoneOf("zone-1-0")).toBe(zones[2]);
    expect(index.zoneOf("nope")).toBeUndefined();
    expect(() => new ZoneIndex([zones[0] as Zone, zones[0] as Zone])).toThrow(
      /zone id "zone-0-0" is used twice/,
    );
  });

  it("finds the nearest zone: 0 m inside, else the closest boundary, like checking every zone", () => {
    const zones = [
      {
        id: "west",
        geometry: {
          type: "Polygon",
          coordinates: [
            [
              [-8.7, 40.6],
              [-8.68, 40.6],
              [-8.68, 40.62],
              [-8.7, 40.62],
              [-8.7, 40.6],
            ],
          ],
        },
      },
      {
        id: "east",
        geometry: {
          type: "Polygon",
          coordinates: [
            [
              [-8.6, 40.6],
              [-8.58, 40.6],
              [-8.58, 40.62],
              [-8.6, 40.62],
              [-8.6, 40.6],
            ],
          ],
        },
      },
    ] satisfies Zone[];
    const index = new ZoneIndex(zones);
    expect(index.nearest(40.61, -8.69)).toEqual({ id: "west", distanceM: 0 });
    const between = index.nearest(40.61, -8.62);
    expect(between?.id).toBe("east");
    expect(between?.distanceM).toBeCloseTo(
      distanceToBoundaryM((zones[1] as Zone).geometry, { lat: 40.61, lon: -8.62 }),
      6,
    );
    fc.assert(
      fc.property(
        fc.double({ min: -8.9, max: -8.4, noNaN: true }),
        fc.double({ min: 40.4, max: 40.8, noNaN: true }),
        (lon, lat) => {
          const nearest = index.nearest(lat, lon);
          const inside = naiveContaining(zones, lat, lon);
          if (inside.length > 0) {
            expect(nearest).toEqual({ id: inside[0], distanceM: 0 });
          } else {
            const distances = zones.map((zone) =>
              distanceToBoundaryM(zone.geometry as Polygon, { lat, lon }),
            );
            expect(nearest?.distanceM).toBeCloseTo(Math.min(...distances), 6);
          }
        },
      ),
    );
  });
});
