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
