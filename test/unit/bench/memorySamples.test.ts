import { describe, expect, it } from "vitest";
import { heapLowPoint, type MemorySample } from "../../bench/memorySamples.ts";

const MiB = 2 ** 20;

/** A sawtooth as V8 makes it: the heap climbs with garbage and falls to what survives at each full collection. */
const samples: MemorySample[] = [
  { atS: 0, rssBytes: 400 * MiB, heapUsedBytes: 120 * MiB },
  { atS: 10, rssBytes: 500 * MiB, heapUsedBytes: 380 * MiB },
  { atS: 20, rssBytes: 520 * MiB, heapUsedBytes: 130 * MiB },
  { atS: 30, rssBytes: 540 * MiB, heapUsedBytes: 400 * MiB },
  { atS: 40, rssBytes: 560 * MiB, heapUsedBytes: 135 * MiB },
];

describe("heapLowPoint", () => {
  it("is the lowest heap reading within the span, ends included", () => {
    expect(heapLowPoint(samples, 0, 40)).toBe(120 * MiB);
    expect(heapLowPoint(samples, 10, 40)).toBe(130 * MiB);
    expect(heapLowPoint(samples, 30, 40)).toBe(135 * MiB);
    expect(heapLowPoint(samples, 10, 10)).toBe(380 * MiB);
  });

  it("is NaN for a span without samples", () => {
    expect(heapLowPoint(samples, 41, 60)).toBeNaN();
    expect(heapLowPoint([], 0, 60)).toBeNaN();
  });
});
