import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bearingDeg,
  destinationPoint,
  distanceM,
  EARTH_RADIUS_M,
  normalizeDeg,
  normalizeLon,
} from "../../../functions/lib/geo/sphere.ts";

const AVEIRO = { lat: 40.6405, lon: -8.6538 };
const PORTO = { lat: 41.1579, lon: -8.6291 };

/** Smallest difference between two angles, degrees. */
const angleGap = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

describe("distanceM", () => {
  it("gives Aveiro to Porto within 0.5% of the ellipsoidal 57.49 km", () => {
    // 0.5174 deg of meridian at 41 N (111.03 km/deg) and 0.0247 deg of longitude (84.0 km/deg).
    const distance = distanceM(AVEIRO, PORTO);
    expect(Math.abs(distance - 57_490) / 57_490).toBeLessThan(0.005);
  });

  it("gives one degree along the equator as 2 pi R / 360", () => {
    expect(distanceM({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo(
      (2 * Math.PI * EARTH_RADIUS_M) / 360,
      3,
    );
  });

  it("gives half the circumference between antipodes and 0 for the same point", () => {
    // Haversine loses a little precision near antipodes: 1 m in 20,000 km is plenty.
    expect(
      Math.abs(distanceM({ lat: 10, lon: 20 }, { lat: -10, lon: -160 }) - Math.PI * EARTH_RADIUS_M),
    ).toBeLessThan(1);
    expect(distanceM(AVEIRO, AVEIRO)).toBe(0);
  });

  it("is symmetric", () => {
    expect(distanceM(PORTO, AVEIRO)).toBeCloseTo(distanceM(AVEIRO, PORTO), 6);
  });
});

describe("bearingDeg", () => {
  it("gives the cardinal directions", () => {
    const origin = { lat: 0, lon: 0 };
    expect(bearingDeg(origin, { lat: 1, lon: 0 })).toBeCloseTo(0, 9);
    expect(bearingDeg(origin, { lat: 0, lon: 1 })).toBeCloseTo(90, 9);
    expect(bearingDeg(origin, { lat: -1, lon: 0 })).toBeCloseTo(180, 9);
    expect(bearingDeg(origin, { lat: 0, lon: -1 })).toBeCloseTo(270, 9);
  });

  it("gives Aveiro to Porto as just east of north (about 2.1 degrees)", () => {
    // atan2(2.07 km east, 57.45 km north) = 2.06 degrees.
    expect(bearingDeg(AVEIRO, PORTO)).toBeCloseTo(2.06, 1);
    expect(angleGap(bearingDeg(PORTO, AVEIRO), 182.06)).toBeLessThan(0.1);
  });
});

describe("destinationPoint", () => {
  it("goes 1 km north by 1000 / R radians of latitude", () => {
    const end = destinationPoint(AVEIRO, 0, 1000);
    expect(end.lon).toBeCloseTo(AVEIRO.lon, 9);
    expect(end.lat - AVEIRO.lat).toBeCloseTo(((1000 / EARTH_RADIUS_M) * 180) / Math.PI, 9);
  });

  it("round-trips with distanceM and bearingDeg", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: -180, max: 179.999, noNaN: true }),
        fc.double({ min: 0, max: 359.999, noNaN: true }),
        fc.double({ min: 1, max: 200_000, noNaN: true }),
        (lat, lon, bearing, distance) => {
          const from = { lat, lon };
          const to = destinationPoint(from, bearing, distance);
          expect(Math.abs(distanceM(from, to) - distance)).toBeLessThan(1e-6 * distance + 1e-6);
          expect(angleGap(bearingDeg(from, to), bearing)).toBeLessThan(1e-6);
        },
      ),
    );
  });

  it("wraps longitude across the antimeridian", () => {
    const end = destinationPoint({ lat: 0, lon: 179.9 }, 90, 50_000);
    expect(end.lon).toBeLessThan(-179);
    expect(distanceM({ lat: 0, lon: 179.9 }, end)).toBeCloseTo(50_000, 3);
  });
});

describe("normalizeDeg and normalizeLon", () => {
  it("folds angles into [0, 360) and longitudes into [-180, 180)", () => {
    expect(normalizeDeg(-90)).toBe(270);
    expect(normalizeDeg(360)).toBe(0);
    expect(normalizeDeg(725)).toBe(5);
    expect(normalizeDeg(-1e-15)).toBeLessThan(360);
    expect(normalizeLon(190)).toBe(-170);
    expect(normalizeLon(-190)).toBe(170);
    expect(normalizeLon(180)).toBe(-180);
  });
});
