import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isQuadkey,
  MAX_MERCATOR_LAT,
  quadkeyDecode,
  quadkeyEncode,
  quadkeyFromTopicLevels,
  tileOf,
  tileToQuadkey,
} from "../../../functions/lib/geo/quadkey.ts";

describe("quadkey encode and decode (Bing Maps tile system)", () => {
  it("matches the Bing documentation example: tile (3, 5) at level 3 is 213", () => {
    expect(tileToQuadkey({ x: 3, y: 5, level: 3 })).toBe("213");
    expect(quadkeyDecode("213")).toMatchObject({ x: 3, y: 5, level: 3 });
  });

  it("numbers the level-1 quadrants NW 0, NE 1, SW 2, SE 3", () => {
    expect(quadkeyEncode(45, -90, 1)).toBe("0");
    expect(quadkeyEncode(45, 90, 1)).toBe("1");
    expect(quadkeyEncode(-45, -90, 1)).toBe("2");
    expect(quadkeyEncode(-45, 90, 1)).toBe("3");
  });

  it("puts Aveiro in tile 03311 at level 5", () => {
    // x = floor((180 - 8.65) / 360 * 32) = 15; y = floor(0.3762 * 32) = 12 (Mercator y of 40.64 N).
    expect(tileOf(40.64, -8.65, 5)).toEqual({ x: 15, y: 12, level: 5 });
    expect(quadkeyEncode(40.64, -8.65, 5)).toBe("03311");
  });

  it("decodes bounds and centre in degrees", () => {
    const tile = quadkeyDecode("1");
    expect(tile.bounds.west).toBe(0);
    expect(tile.bounds.east).toBe(180);
    expect(tile.bounds.south).toBeCloseTo(0, 12);
    expect(tile.bounds.north).toBeCloseTo(MAX_MERCATOR_LAT, 6);
    expect(tile.centre.lon).toBe(90);
    expect(tile.centre.lat).toBeCloseTo(66.51326, 4);
  });

  it("round-trips: the decoded tile contains the point and its centre encodes to the same quadkey", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -85, max: 85, noNaN: true }),
        fc.double({ min: -180, max: 179.9999, noNaN: true }),
        fc.integer({ min: 1, max: 23 }),
        (lat, lon, level) => {
          const quadkey = quadkeyEncode(lat, lon, level);
          expect(quadkey).toHaveLength(level);
          const tile = quadkeyDecode(quadkey);
          expect(tile.bounds.west).toBeLessThanOrEqual(lon + 1e-9);
          expect(tile.bounds.east).toBeGreaterThanOrEqual(lon - 1e-9);
          expect(tile.bounds.south).toBeLessThanOrEqual(lat + 1e-9);
          expect(tile.bounds.north).toBeGreaterThanOrEqual(lat - 1e-9);
          expect(quadkeyEncode(tile.centre.lat, tile.centre.lon, level)).toBe(quadkey);
        },
      ),
    );
  });

  it("makes each level's quadkey a prefix of the next level's", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -85, max: 85, noNaN: true }),
        fc.double({ min: -180, max: 179.9999, noNaN: true }),
        fc.integer({ min: 1, max: 22 }),
        (lat, lon, level) => {
          expect(quadkeyEncode(lat, lon, level + 1).startsWith(quadkeyEncode(lat, lon, level))).toBe(true);
        },
      ),
    );
  });

  it("clips latitudes beyond Web Mercator to the edge tiles", () => {
    expect(quadkeyEncode(89.9, 0, 2)).toBe(quadkeyEncode(MAX_MERCATOR_LAT, 0, 2));
    expect(quadkeyEncode(-90, 179.99, 2)).toBe("33");
  });

  it("rejects bad levels, positions and quadkeys with a clear error", () => {
    expect(() => quadkeyEncode(0, 0, 0)).toThrow(/level must be an integer 1..23/);
    expect(() => quadkeyEncode(0, 0, 24)).toThrow(/level must be an integer 1..23/);
    expect(() => quadkeyEncode(Number.NaN, 0, 3)).toThrow(/not a position/);
    expect(() => quadkeyDecode("")).toThrow(/not a quadkey/);
    expect(() => quadkeyDecode("0124")).toThrow(/not a quadkey/);
    expect(isQuadkey("0123")).toBe(true);
    expect(isQuadkey("0".repeat(24))).toBe(false);
  });
});

describe("quadkeyFromTopicLevels", () => {
  it("reads the digits after its_center/inqueue/json/<stationId>/<TYPE>", () => {
    const topic = "its_center/inqueue/json/1234/CAM/0/3/3/1/1/0/2".split("/");
    expect(quadkeyFromTopicLevels(topic)).toEqual({ ok: true, quadkey: "0331102" });
  });

  it("accepts the digit levels alone", () => {
    expect(quadkeyFromTopicLevels(["1", "2", "3", "0"])).toEqual({ ok: true, quadkey: "1230" });
  });

  it("rejects a level that is not one digit 0-3, naming it", () => {
    const topic = "its_center/inqueue/json/1234/CAM/0/4/1".split("/");
    const result = quadkeyFromTopicLevels(topic);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.reason).toBe(
        'topic level 6 (quadkey level 2) is "4"; each quadkey level must be one digit 0-3',
      );
    for (const bad of [["12"], ["a"], [""], ["1", " 2"]]) expect(quadkeyFromTopicLevels(bad).ok).toBe(false);
  });

  it("rejects a topic without quadkey levels, or with more than 23", () => {
    expect(quadkeyFromTopicLevels("its_center/inqueue/json/1234/CAM".split("/"))).toEqual({
      ok: false,
      reason: "the topic has no quadkey levels",
    });
    expect(quadkeyFromTopicLevels([])).toMatchObject({ ok: false });
    const result = quadkeyFromTopicLevels(Array.from({ length: 24 }, () => "1"));
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/24 quadkey levels; at most 23/),
    });
  });

  it("agrees with quadkeyEncode for any point's topic", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -85, max: 85, noNaN: true }),
        fc.double({ min: -180, max: 179.9999, noNaN: true }),
        fc.integer({ min: 1, max: 23 }),
        (lat, lon, level) => {
          const quadkey = quadkeyEncode(lat, lon, level);
          const topic = `its_center/inqueue/json/42/DENM/${quadkey.split("").join("/")}`;
          expect(quadkeyFromTopicLevels(topic.split("/"))).toEqual({ ok: true, quadkey });
        },
      ),
    );
  });
});
