import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { destinationPoint, distanceM } from "../../../functions/lib/geo/sphere.ts";
import { twinsInBox, twinsWithin } from "../../../functions/lib/twin/areaQuery.ts";
import { NeighbourIndex } from "../../../functions/lib/twin/neighbours.ts";

const P = { lat: 40.63, lon: -8.65 };

describe("area queries over the neighbour index", () => {
  const index = new NeighbourIndex(300);
  const placed: [string, number, number][] = [
    ["a", 0, 0],
    ["b", 99, 0],
    ["c", 101, 90],
    ["d", 499, 180],
    ["e", 501, 270],
    ["f", 5_000, 45],
  ];
  for (const [id, metres, bearing] of placed)
    index.upsert(id, { ...destinationPoint(P, bearing, metres), speed: 0 });

  const circles: [number, string[]][] = [
    [50, ["a"]],
    [100, ["a", "b"]],
    [500, ["a", "b", "c", "d"]],
    [6_000, ["a", "b", "c", "d", "e", "f"]],
  ];
  it.each(circles)("within %d m", (radiusM, expected) => {
    expect(twinsWithin(index, { ...P, radiusM }).sort()).toEqual(expected);
  });

  it("in a box, edges included", () => {
    const north = destinationPoint(P, 0, 99).lat;
    expect(
      twinsInBox(index, { west: P.lon, south: P.lat - 0.0001, east: P.lon + 0.01, north }).sort(),
    ).toEqual(["a", "b", "c"]);
    expect(twinsInBox(index, { west: -180, south: -90, east: 180, north: 90 }).length).toBe(6);
    expect(twinsInBox(index, { west: 0, south: 0, east: 1, north: 1 })).toEqual([]);
  });

  it("answers exactly what a scan answers, anywhere, for any radius and box", () => {
    const offset = fc.record({
      lat: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
      lon: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.double({ min: -89, max: 89, noNaN: true }),
        fc.double({ min: -179.9, max: 179.9, noNaN: true }),
        fc.array(offset, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 20, max: 1_000 }),
        fc.integer({ min: 1, max: 20_000 }),
        offset,
        (lat, lon, offsets, cellRadiusM, radiusM, corner) => {
          const grid = new NeighbourIndex(cellRadiusM);
          const points = offsets.map((o, i) => ({
            id: `t${i}`,
            lat: Math.max(-90, Math.min(90, lat + o.lat)),
            lon: Math.max(-180, Math.min(180, lon + o.lon)),
          }));
          for (const point of points) grid.upsert(point.id, { lat: point.lat, lon: point.lon, speed: 0 });
          const centre = { lat, lon };
          const expectedNear = points.filter((p) => distanceM(centre, p) <= radiusM).map((p) => p.id);
          expect(twinsWithin(grid, { ...centre, radiusM }).sort()).toEqual(expectedNear.sort());
          const box = {
            west: Math.min(lon, lon + corner.lon),
            east: Math.max(lon, lon + corner.lon),
            south: Math.min(lat, lat + corner.lat),
            north: Math.max(lat, lat + corner.lat),
          };
          const expectedBox = points
            .filter((p) => p.lat >= box.south && p.lat <= box.north && p.lon >= box.west && p.lon <= box.east)
            .map((p) => p.id);
          expect(twinsInBox(grid, box).sort()).toEqual(expectedBox.sort());
        },
      ),
      { numRuns: 300 },
    );
  });
  it("settles twins within a hair of a circle's edge as the great circle does, up to high latitudes", () => {
    // The flat-earth shortcuts (whole cells, and points clearly inside or outside) must never
    // decide a twin the great-circle distance would decide otherwise: twins on and next to the edge.
    const nearEdge = fc.record({
      bearing: fc.double({ min: 0, max: 360, noNaN: true }),
      ratio: fc.oneof(
        fc.double({ min: 0.97, max: 1.03, noNaN: true }),
        fc.constantFrom(1 - 1e-9, 1, 1 + 1e-9),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
    });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -84.95, max: 84.95, noNaN: true }),
          fc.double({ min: 75, max: 84.95, noNaN: true }),
        ),
        fc.double({ min: -170, max: 170, noNaN: true }),
        fc.integer({ min: 1, max: 12_000 }),
        fc.integer({ min: 20, max: 1_000 }),
        fc.array(nearEdge, { minLength: 1, maxLength: 60 }),
        (lat, lon, radiusM, cellRadiusM, placements) => {
          const grid = new NeighbourIndex(cellRadiusM);
          const centre = { lat, lon };
          const points = placements.map((p, i) => ({
            id: `t${i}`,
            ...destinationPoint(centre, p.bearing, radiusM * p.ratio),
          }));
          for (const point of points) grid.upsert(point.id, { lat: point.lat, lon: point.lon, speed: 0 });
          const expected = points.filter((p) => distanceM(centre, p) <= radiusM).map((p) => p.id);
          expect(twinsWithin(grid, { ...centre, radiusM }).sort()).toEqual(expected.sort());
        },
      ),
      { numRuns: 500 },
    );
  });
  it("settles a ring of twins around a 10 km circle at 84.5 degrees north as the great circle does", () => {
    // Where flat metres stray most from the great circle (high latitude, the longest radius the
    // flat shortcuts serve): twins every 5 degrees of bearing, from 0.4% inside to 0.4% outside.
    const centre = { lat: 84.5, lon: 20 };
    const radiusM = 10_000;
    const grid = new NeighbourIndex(300);
    const expected: string[] = [];
    for (let bearing = 0; bearing < 360; bearing += 5) {
      for (let step = -40; step <= 40; step++) {
        const id = `b${bearing}s${step}`;
        const point = destinationPoint(centre, bearing, radiusM * (1 + step * 1e-4));
        grid.upsert(id, { ...point, speed: 0 });
        if (distanceM(centre, point) <= radiusM) expected.push(id);
      }
    }
    // 40 steps inside each bearing, and the one on the edge in or out as the rounding falls.
    expect(expected.length).toBeGreaterThanOrEqual(72 * 40);
    expect(expected.length).toBeLessThanOrEqual(72 * 41);
    expect(twinsWithin(grid, { ...centre, radiusM }).sort()).toEqual(expected.sort());
  });
  it("finds the twins across the antimeridian from the centre", () => {
    // 110 m apart across longitude 180; a flat-earth test reads them 360 degrees apart.
    const grid = new NeighbourIndex(300);
    grid.upsert("west-side", { lat: 10, lon: 179.9995, speed: 0 });
    grid.upsert("east-side", { lat: 10, lon: -179.9995, speed: 0 });
    grid.upsert("far", { lat: 10, lon: -179.99, speed: 0 });
    expect(distanceM({ lat: 10, lon: 179.9995 }, { lat: 10, lon: -179.9995 })).toBeCloseTo(109.5, 1);
    expect(twinsWithin(grid, { lat: 10, lon: 179.9995, radiusM: 500 }).sort()).toEqual([
      "east-side",
      "west-side",
    ]);
    expect(twinsWithin(grid, { lat: 10, lon: -179.9995, radiusM: 500 }).sort()).toEqual([
      "east-side",
      "west-side",
    ]);
    expect(twinsWithin(grid, { lat: 10, lon: -179.9995, radiusM: 1_200 }).sort()).toEqual([
      "east-side",
      "far",
      "west-side",
    ]);
  });
});
