import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bboxOf,
  distanceToBBoxM,
  distanceToBoundaryM,
  flatContains,
  flattenGeometry,
  pointInGeometry,
} from "../../../functions/lib/geo/polygon.ts";
import { distanceM } from "../../../functions/lib/geo/sphere.ts";
import type { MultiPolygon, Polygon } from "../../../functions/lib/geo/types.ts";

/** A square from (west, south) with the given side, in degrees, counter-clockwise. */
const square = (west: number, south: number, side: number): number[][] => [
  [west, south],
  [west + side, south],
  [west + side, south + side],
  [west, south + side],
  [west, south],
];

const withHole: Polygon = { type: "Polygon", coordinates: [square(0, 0, 10), square(4, 4, 2)] };
const twoSquaresAndIsland: MultiPolygon = {
  type: "MultiPolygon",
  coordinates: [[square(0, 0, 10), square(2, 2, 6)], [square(20, 0, 5)], [square(4, 4, 2)]],
};
const lShape: Polygon = {
  type: "Polygon",
  coordinates: [
    [
      [0, 0],
      [10, 0],
      [10, 4],
      [4, 4],
      [4, 10],
      [0, 10],
      [0, 0],
    ],
  ],
};

const at = (lon: number, lat: number) => ({ lat, lon });

describe("pointInGeometry", () => {
  it("finds points inside a polygon, and not in its hole or outside", () => {
    expect(pointInGeometry(withHole, at(1, 1))).toBe(true);
    expect(pointInGeometry(withHole, at(9.5, 5))).toBe(true);
    expect(pointInGeometry(withHole, at(5, 5))).toBe(false);
    expect(pointInGeometry(withHole, at(11, 5))).toBe(false);
    expect(pointInGeometry(withHole, at(5, -0.1))).toBe(false);
  });

  it("handles concave polygons", () => {
    expect(pointInGeometry(lShape, at(2, 8))).toBe(true);
    expect(pointInGeometry(lShape, at(8, 2))).toBe(true);
    expect(pointInGeometry(lShape, at(8, 8))).toBe(false);
  });

  it("handles MultiPolygons: each part, holes, and an island inside a hole", () => {
    expect(pointInGeometry(twoSquaresAndIsland, at(1, 1))).toBe(true);
    expect(pointInGeometry(twoSquaresAndIsland, at(22, 2))).toBe(true);
    expect(pointInGeometry(twoSquaresAndIsland, at(15, 2))).toBe(false);
    expect(pointInGeometry(twoSquaresAndIsland, at(3, 3))).toBe(false); // in the hole
    expect(pointInGeometry(twoSquaresAndIsland, at(5, 5))).toBe(true); // on the island in the hole
  });

  it("counts the west and south edges as inside and the east and north edges as outside", () => {
    const unit: Polygon = { type: "Polygon", coordinates: [square(0, 0, 1)] };
    expect(pointInGeometry(unit, at(0, 0.5))).toBe(true);
    expect(pointInGeometry(unit, at(0.5, 0))).toBe(true);
    expect(pointInGeometry(unit, at(1, 0.5))).toBe(false);
    expect(pointInGeometry(unit, at(0.5, 1))).toBe(false);
  });

  it("puts every point on a shared, slanted border in exactly one of the two zones", () => {
    // Two zones split by a wobbly line; the second lists the border in the opposite direction.
    const border = [
      [0, 0.3],
      [0.31, 0.47],
      [0.5, 0.41],
      [0.77, 0.63],
      [1, 0.5],
    ];
    const north: Polygon = { type: "Polygon", coordinates: [[...border, [1, 1], [0, 1], [0, 0.3]]] };
    const south: Polygon = {
      type: "Polygon",
      coordinates: [[[0, 0], [1, 0], ...[...border].reverse(), [0, 0]]],
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: border.length - 2 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (i, t) => {
          const [ax, ay] = border[i] as [number, number];
          const [bx, by] = border[i + 1] as [number, number];
          const point = at(ax + t * (bx - ax), ay + t * (by - ay));
          const zones = [pointInGeometry(north, point), pointInGeometry(south, point)].filter(Boolean);
          // The east end of the border lies on both zones' eastern edge, outside both.
          if (point.lon < 1) expect(zones).toHaveLength(1);
        },
      ),
    );
  });

  it("agrees with the flattened form on random points", () => {
    const flat = flattenGeometry("multi", twoSquaresAndIsland);
    fc.assert(
      fc.property(
        fc.double({ min: -1, max: 26, noNaN: true }),
        fc.double({ min: -1, max: 11, noNaN: true }),
        (x, y) => {
          expect(flatContains(flat, x, y)).toBe(pointInGeometry(twoSquaresAndIsland, at(x, y)));
        },
      ),
    );
  });

  it("rejects a position that is not two numbers when flattening", () => {
    const bad = {
      type: "Polygon",
      coordinates: [
        [
          [0, 0],
          [1, Number.NaN],
          [1, 1],
          [0, 0],
        ],
      ],
    } as Polygon;
    expect(() => flattenGeometry("zone-x", bad)).toThrow(/zone-x: a position is not \[lon, lat\]/);
  });
});

describe("bboxOf", () => {
  it("spans all outer rings", () => {
    expect(bboxOf(twoSquaresAndIsland)).toEqual({ west: 0, south: 0, east: 25, north: 10 });
  });
});

describe("distanceToBoundaryM", () => {
  // A 0.01-degree square near Aveiro: about 845 m wide and 1112 m tall.
  const zone: Polygon = { type: "Polygon", coordinates: [square(-8.66, 40.63, 0.01)] };

  it("measures from inside to the nearest edge, as a great-circle distance would", () => {
    const point = { lat: 40.632, lon: -8.655 }; // 0.002 deg above the south edge
    const expected = distanceM(point, { lat: 40.63, lon: -8.655 });
    expect(Math.abs(distanceToBoundaryM(zone, point) - expected) / expected).toBeLessThan(0.001);
  });

  it("measures from outside, including to a corner", () => {
    const east = { lat: 40.635, lon: -8.645 };
    const expectedEast = distanceM(east, { lat: 40.635, lon: -8.65 });
    expect(Math.abs(distanceToBoundaryM(zone, east) - expectedEast) / expectedEast).toBeLessThan(0.001);
    const diagonal = { lat: 40.645, lon: -8.645 };
    const expectedCorner = distanceM(diagonal, { lat: 40.64, lon: -8.65 });
    expect(Math.abs(distanceToBoundaryM(zone, diagonal) - expectedCorner) / expectedCorner).toBeLessThan(
      0.002,
    );
  });

  it("counts hole edges as boundary and is 0 on an edge", () => {
    const holed: Polygon = { type: "Polygon", coordinates: [square(0, 0, 1), square(0.4, 0.4, 0.2)] };
    const nearHole = distanceToBoundaryM(holed, at(0.35, 0.5));
    expect(nearHole).toBeCloseTo(distanceM(at(0.35, 0.5), at(0.4, 0.5)), -1);
    expect(distanceToBoundaryM(holed, at(0, 0.5))).toBe(0);
  });

  it("is bounded below by the distance to the bounding box", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -8.7, max: -8.6, noNaN: true }),
        fc.double({ min: 40.6, max: 40.7, noNaN: true }),
        (lon, lat) => {
          const point = { lat, lon };
          expect(distanceToBBoxM(bboxOf(zone), point)).toBeLessThanOrEqual(
            distanceToBoundaryM(zone, point) + 1e-9,
          );
        },
      ),
    );
  });
});
