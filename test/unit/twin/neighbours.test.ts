import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { distanceM } from "../../../functions/lib/geo/sphere.ts";
import { NeighbourIndex } from "../../../functions/lib/twin/neighbours.ts";

describe("NeighbourIndex", () => {
  it("finds exactly the twins a full scan finds, anywhere up to high latitudes", () => {
    const point = fc.record({
      lat: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      lon: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      speed: fc.double({ min: 0, max: 40, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.double({ min: -83, max: 83, noNaN: true }),
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.array(point, { minLength: 2, maxLength: 40 }),
        fc.integer({ min: 50, max: 1_000 }),
        (centreLat, centreLon, offsets, radiusM) => {
          const index = new NeighbourIndex(radiusM);
          const points = offsets.map((o) => ({
            lat: centreLat + o.lat,
            lon: centreLon + o.lon,
            speed: o.speed,
          }));
          for (const [i, p] of points.entries()) index.upsert(`t${i}`, p);
          points.forEach((self, i) => {
            const expected = points
              .map((other, j) => ({ id: `t${j}`, distanceM: distanceM(self, other), j }))
              .filter(({ j, distanceM: d }) => j !== i && d <= radiusM)
              .map(({ id }) => id)
              .sort();
            expect(
              index
                .near(`t${i}`)
                .map((n) => n.id)
                .sort(),
            ).toEqual(expected);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("lists exactly the nearest maxNeighbours (equal distances by id), wherever the twins are", () => {
    // Clusters a few hundred metres wide, so the cap matters and rings stop early; centres
    // include high latitudes and the antimeridian, where the index scans everything.
    const centre = fc.oneof(
      fc.record({
        lat: fc.double({ min: -83, max: 83, noNaN: true }),
        lon: fc.double({ min: -179, max: 179, noNaN: true }),
      }),
      fc.record({
        lat: fc.double({ min: 84, max: 89.9, noNaN: true }),
        lon: fc.double({ min: -179, max: 179, noNaN: true }),
      }),
      fc.record({
        lat: fc.double({ min: -60, max: 60, noNaN: true }),
        lon: fc.constantFrom(-179.999, 179.999),
      }),
    );
    const point = fc.record({
      lat: fc.double({ min: -0.004, max: 0.004, noNaN: true }),
      lon: fc.double({ min: -0.004, max: 0.004, noNaN: true }),
      speed: fc.double({ min: 0, max: 40, noNaN: true }),
    });
    fc.assert(
      fc.property(
        centre,
        fc.array(point, { minLength: 2, maxLength: 80 }),
        fc.integer({ min: 20, max: 600 }),
        fc.integer({ min: 1, max: 12 }),
        (centre, offsets, radiusM, maxNeighbours) => {
          const index = new NeighbourIndex(radiusM, maxNeighbours);
          const points = offsets.map((o) => ({
            lat: centre.lat + o.lat,
            lon: Math.max(-180, Math.min(180, centre.lon + o.lon)),
            speed: o.speed,
          }));
          for (const [i, p] of points.entries()) index.upsert(`t${i}`, p);
          points.forEach((self, i) => {
            const expected = points
              .map((other, j) => ({ id: `t${j}`, distanceM: distanceM(self, other), j }))
              .filter(({ j, distanceM: d }) => j !== i && d <= radiusM)
              .sort((a, b) => a.distanceM - b.distanceM || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
              .slice(0, maxNeighbours)
              .map(({ id }) => id);
            expect(index.near(`t${i}`).map((n) => n.id)).toEqual(expected);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps the nearest 32 of hundreds in dense traffic, with their distances and speeds", () => {
    const index = new NeighbourIndex(300, 32);
    // 400 cars 1.5 m apart along a street running east, the middle one at rest, the others at 10 m/s
    for (let i = 0; i < 400; i++) {
      index.upsert(`car-${i}`, { lat: 40.64, lon: -8.65 + i * 1.5e-5 * 1.18, speed: i === 200 ? 0 : 10 });
    }
    const near = index.near("car-200");
    expect(near).toHaveLength(32);
    expect(near.map((n) => n.id).sort()).toEqual(
      Array.from({ length: 32 }, (_, k) => `car-${k < 16 ? 184 + k : 185 + k}`).sort(),
    );
    expect(near[0]?.distanceM).toBeCloseTo(1.5, 1);
    expect(near[31]?.distanceM).toBeCloseTo(24, 0);
    expect(near.every((n) => n.relativeSpeed === 10)).toBe(true);
    // without a cap, every car within the radius
    const all = new NeighbourIndex(300);
    for (let i = 0; i < 400; i++)
      all.upsert(`car-${i}`, { lat: 40.64, lon: -8.65 + i * 1.5e-5 * 1.18, speed: 10 });
    expect(all.near("car-200").length).toBe(all.near("car-200").filter((n) => n.distanceM <= 300).length);
    expect(all.near("car-200").length).toBeGreaterThan(350);
  });

  it("stays exact through moves and removals", () => {
    const step = fc.record({
      twin: fc.integer({ min: 0, max: 15 }),
      remove: fc.boolean(),
      lat: fc.double({ min: 40.63, max: 40.65, noNaN: true }),
      lon: fc.double({ min: -8.66, max: -8.64, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 120 }), (steps) => {
        const index = new NeighbourIndex(400, 5);
        const where = new Map<string, { lat: number; lon: number; speed: number }>();
        for (const { twin, remove, lat, lon } of steps) {
          const id = `t${twin}`;
          if (remove) {
            index.remove(id);
            where.delete(id);
          } else {
            index.upsert(id, { lat, lon, speed: twin });
            where.set(id, { lat, lon, speed: twin });
          }
        }
        expect(index.size).toBe(where.size);
        for (const [id, self] of where) {
          const expected = [...where]
            .filter(([other]) => other !== id)
            .map(([other, p]) => ({ id: other, distanceM: distanceM(self, p) }))
            .filter((n) => n.distanceM <= 400)
            .sort((a, b) => a.distanceM - b.distanceM || (a.id < b.id ? -1 : 1))
            .slice(0, 5)
            .map((n) => n.id);
          expect(index.near(id).map((n) => n.id)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a radius or a cap that makes no sense", () => {
    expect(() => new NeighbourIndex(0)).toThrow(/radius/);
    expect(() => new NeighbourIndex(Number.NaN)).toThrow(/radius/);
    expect(() => new NeighbourIndex(100, 2.5)).toThrow(/maxNeighbours/);
    expect(() => new NeighbourIndex(100, -1)).toThrow(/maxNeighbours/);
    expect(new NeighbourIndex(100, 0).maxNeighbours).toBe(0);
  });

  it("breaks ties of equal distance by id", () => {
    const index = new NeighbourIndex(100, 3);
    index.upsert("self", { lat: 40.64, lon: -8.65, speed: 0 });
    for (const id of ["c", "a", "b"]) index.upsert(id, { lat: 40.6402, lon: -8.65, speed: 0 });
    index.upsert("d", { lat: 40.6401, lon: -8.65, speed: 0 });
    expect(index.near("self").map((n) => n.id)).toEqual(["d", "a", "b"]);
  });

  it("forgets removed twins and follows moves between cells", () => {
    const index = new NeighbourIndex(100);
    index.upsert("a", { lat: 40.64, lon: -8.65, speed: 10 });
    index.upsert("b", { lat: 40.6405, lon: -8.65, speed: 12 });
    expect(index.near("a")).toEqual([{ id: "b", distanceM: expect.closeTo(55.6, 0), relativeSpeed: 2 }]);
    index.upsert("b", { lat: 40.65, lon: -8.65, speed: 12 });
    expect(index.near("a")).toEqual([]);
    index.upsert("b", { lat: 40.6401, lon: -8.65, speed: 12 });
    index.remove("b");
    expect(index.near("a")).toEqual([]);
    expect(index.size).toBe(1);
  });
});
