import { describe, expect, it } from "vitest";
import { driftWindow, heapLowPoint, type MemorySample, rssDrift } from "../../bench/memorySamples.ts";

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

describe("driftWindow", () => {
  it("starts when the histories are full, once ten minutes follow", () => {
    expect(driftWindow(1_200, 600)).toEqual({ fromS: 600, judged: true });
    expect(driftWindow(1_500, 600)).toEqual({ fromS: 600, judged: true });
    expect(driftWindow(700, 100)).toEqual({ fromS: 100, judged: true });
  });

  it("is the last two thirds of a shorter run, and not judged", () => {
    expect(driftWindow(60, 600)).toEqual({ fromS: 20, judged: false });
    expect(driftWindow(1_199, 600)).toEqual({ fromS: 1_199 / 3, judged: false });
  });
});

describe("rssDrift", () => {
  /** RSS stepping 20 MiB up and down every second as V8 commits and releases pages, over a rise of 0.1 MiB a second. */
  const stepping: MemorySample[] = Array.from({ length: 101 }, (_, second) => ({
    atS: second,
    rssBytes: (1_000 + (second % 2 === 1 ? 20 : 0) + second / 10) * MiB,
    heapUsedBytes: 0,
  }));

  it("compares the means of the window's first and last spans", () => {
    // 0 to 10 s: six even seconds (6,003 MiB in all) and five odd ones (5,102.5): 11,105.5 / 11.
    // 90 to 100 s: 6,057 and 5,147.5: 11,204.5 / 11. The rise over the 90 s between them: 9 MiB.
    const drift = rssDrift(stepping, 0, 100, 10);
    expect(drift.fromBytes / MiB).toBeCloseTo(11_105.5 / 11, 6);
    expect(drift.toBytes / MiB).toBeCloseTo(11_204.5 / 11, 6);
    expect(drift.driftBytes / MiB).toBeCloseTo(9, 6);
  });

  it("is moved far less than a single reading by where the window ends in V8's steps", () => {
    // Ending on a high step at 99 s: the last reading is 29.9 MiB above the first, while the means
    // of 89 to 99 s (six high readings, 6,176.4 MiB; five low, 5,047) and of 0 to 10 s differ by 10.72.
    const first = stepping[0]?.rssBytes ?? 0;
    const last = stepping[99]?.rssBytes ?? 0;
    expect((last - first) / MiB).toBeCloseTo(29.9, 6);
    expect(rssDrift(stepping, 0, 99, 10).driftBytes / MiB).toBeCloseTo(11_223.4 / 11 - 11_105.5 / 11, 6);
  });

  it("keeps a short window's ends apart: each end a quarter of it at most", () => {
    // Window 20 to 60 s with 60 s spans: 20 to 30 s (six even, 6,015 MiB; five odd, 5,112.5)
    // against 50 to 60 s (6,033 and 5,127.5).
    const drift = rssDrift(stepping, 20, 60, 60);
    expect(drift.fromBytes / MiB).toBeCloseTo(11_127.5 / 11, 6);
    expect(drift.toBytes / MiB).toBeCloseTo(11_160.5 / 11, 6);
    expect(drift.endSpanS).toBe(10);
  });

  it("is NaN when the window holds no samples", () => {
    expect(rssDrift(stepping, 200, 300, 10).driftBytes).toBeNaN();
  });
});
