import { describe, expect, it } from "vitest";
import { historyCapacity, historyParts, TwinHistory } from "../../../../functions/lib/twin/state/history.ts";
import { placed, T0 } from "../queryTwins.ts";

const options = { durationMs: 10_000, intervalMs: 1_000, objectsIntervalMs: 5_000 };
const rates = { cam: 10, cpm: 0, denm: 0, vam: 0, logs: 0.2 };
const iso = (ms: number) => new Date(ms).toISOString();

describe("TwinHistory", () => {
  it("holds duration / interval + 1 samples", () => {
    expect(historyCapacity(options)).toEqual({ samples: 11, objects: 3 });
    expect(historyCapacity({ durationMs: 600_000, intervalMs: 1_000, objectsIntervalMs: 10_000 })).toEqual({
      samples: 601,
      objects: 61,
    });
  });

  it("keeps the first sample of each interval: a 10 Hz stream becomes 1 Hz", () => {
    const history = new TwinHistory(options);
    const kept: boolean[] = [];
    for (let i = 0; i < 25; i++) {
      kept.push(history.append(T0 + i * 100, { lat: 40 + i * 1e-5, lon: -8 }, i, 90, rates));
    }
    expect(kept.filter(Boolean)).toHaveLength(3);
    const { samples } = history.range(0, Number.POSITIVE_INFINITY);
    expect(samples).toEqual([
      { time: iso(T0), position: { lat: 40, lon: -8 }, speed: 0, heading: 90, messageRates: rates },
      {
        time: iso(T0 + 1_000),
        position: { lat: 40.0001, lon: -8 },
        speed: 10,
        heading: 90,
        messageRates: rates,
      },
      {
        time: iso(T0 + 2_000),
        position: { lat: 40.0002, lon: -8 },
        speed: 20,
        heading: 90,
        messageRates: rates,
      },
    ]);
  });

  it("refuses a sample not later than the interval after the last (replays add nothing)", () => {
    const history = new TwinHistory(options);
    expect(history.append(T0, undefined, 1, undefined, {})).toBe(true);
    expect(history.append(T0, undefined, 2, undefined, {})).toBe(false);
    expect(history.append(T0 - 5_000, undefined, 3, undefined, {})).toBe(false);
    expect(history.append(T0 + 999, undefined, 4, undefined, {})).toBe(false);
    expect(history.range(0, Number.POSITIVE_INFINITY).samples).toEqual([{ time: iso(T0), speed: 1 }]);
  });

  it("drops the oldest once full, through growth and wrap-around, in time order", () => {
    const history = new TwinHistory(options);
    for (let i = 0; i < 40; i++) history.append(T0 + i * 1_000, { lat: i / 1000, lon: 0 }, i, i, rates);
    expect(history.length).toBe(11);
    const { samples } = history.range(0, Number.POSITIVE_INFINITY);
    expect(samples.map((sample) => sample.speed)).toEqual([29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    expect(samples.map((sample) => sample.position?.lat)).toEqual([
      0.029, 0.03, 0.031, 0.032, 0.033, 0.034, 0.035, 0.036, 0.037, 0.038, 0.039,
    ]);
  });

  it("answers a time range, both ends included", () => {
    const history = new TwinHistory(options);
    for (let i = 0; i < 8; i++) history.append(T0 + i * 1_000, undefined, i, undefined, {});
    expect(history.range(T0 + 2_000, T0 + 4_000).samples.map((s) => s.speed)).toEqual([2, 3, 4]);
    expect(history.range(T0 + 2_500, T0 + 2_600).samples).toEqual([]);
  });

  it("keeps positions to a centimetre and speeds, headings and rates to 3 decimals", () => {
    const history = new TwinHistory(options);
    history.append(T0, { lat: 40.640_512_345, lon: -8.653_812_345 }, 13.9, 271.3, { cam: 9.8 });
    expect(history.range(0, Number.POSITIVE_INFINITY).samples[0]).toEqual({
      time: iso(T0),
      position: { lat: 40.640_512_3, lon: -8.653_812_3 },
      speed: 13.9,
      heading: 271.3,
      messageRates: { cam: 9.8 },
    });
  });

  it("records a station's perceived objects at the lower rate", () => {
    const history = new TwinHistory(options);
    const rsu = placed("rsu", 0, 0, {
      stationType: "roadSideUnit",
      perceivedObjects: [{ objectId: 7, lat: 40.1, lon: -8.1, speed: 3, classification: "pedestrian" }],
    });
    for (let i = 0; i < 12; i++) history.record(rsu, T0 + i * 1_000);
    const { objects, samples } = history.range(0, Number.POSITIVE_INFINITY);
    expect(samples).toHaveLength(11);
    expect(objects).toEqual(
      [0, 5_000, 10_000].map((offset) => ({
        time: iso(T0 + offset),
        objects: [{ objectId: 7, lat: 40.1, lon: -8.1, classification: "pedestrian" }],
      })),
    );
  });

  it("comes back the same from its state, and a restore skips what it already holds", () => {
    const history = new TwinHistory(options);
    for (let i = 0; i < 5; i++) history.append(T0 + i * 1_000, { lat: 40, lon: -8 + i / 1e4 }, i, 180, rates);
    const state = structuredClone(history.state());
    const copy = new TwinHistory(options);
    copy.restore(state);
    copy.restore(state);
    expect(copy.range(0, Number.POSITIVE_INFINITY)).toEqual(history.range(0, Number.POSITIVE_INFINITY));
    expect(copy.append(T0 + 4_500, undefined, 9, undefined, {})).toBe(false);
    expect(copy.append(T0 + 5_000, undefined, 9, undefined, {})).toBe(true);
  });

  it("takes memory a chunk at a time as samples come, and none once full", () => {
    const history = new TwinHistory({ durationMs: 600_000, intervalMs: 1_000, objectsIntervalMs: 10_000 });
    // 8 (time) + 4 + 4 (position) + 4 + 4 (speed, heading) + 5 * 4 (rates) bytes a sample
    const chunkBytes = 64 * 44;
    expect(history.bytes()).toBe(0);
    history.append(T0, { lat: 1, lon: 1 }, 1, 1, rates);
    expect(history.bytes()).toBe(chunkBytes);
    for (let i = 1; i < 601; i++) history.append(T0 + i * 1_000, { lat: 1, lon: 1 }, 1, 1, rates);
    // 601 samples fill ten chunks (640 slots)
    expect(history.bytes()).toBe(10 * chunkBytes);
    const sizes = new Set<number>();
    for (let i = 601; i < 3_000; i++) {
      history.append(T0 + i * 1_000, { lat: 1, lon: i / 1e4 }, i, 1, rates);
      sizes.add(history.bytes());
    }
    // a full history moves through eleven chunks at most (the oldest, part dropped, and the newest)
    expect([...sizes].sort()).toEqual([10 * chunkBytes, 11 * chunkBytes]);
    const { samples } = history.range(0, Number.POSITIVE_INFINITY);
    expect(samples).toHaveLength(601);
    expect(samples[0]?.speed).toBe(2_399);
    expect(samples.at(-1)?.speed).toBe(2_999);
    expect(samples.map((sample) => sample.position?.lon)).toEqual(
      Array.from({ length: 601 }, (_, i) => (2_399 + i) / 1e4),
    );
  });
});

describe("historyParts", () => {
  it("keeps the time and the parts asked for", () => {
    const data = {
      samples: [
        { time: iso(T0), position: { lat: 1, lon: 2 }, speed: 3, heading: 4, messageRates: { cam: 1 } },
      ],
      objects: [{ time: iso(T0), objects: [] }],
    };
    expect(historyParts(data, ["speed"])).toEqual({ samples: [{ time: iso(T0), speed: 3 }] });
    expect(historyParts(data, ["position", "objects"])).toEqual({
      samples: [{ time: iso(T0), position: { lat: 1, lon: 2 } }],
      objects: data.objects,
    });
  });
});
