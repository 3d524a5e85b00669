import { describe, expect, it } from "vitest";
import {
  BATCH_TARGET_MS,
  MAX_BATCH_EVENTS,
  MIN_BATCH_EVENTS,
  nextBatchSize,
} from "../../../functions/lib/twin/eventBatcher.ts";

describe("the size of the next batch of events", () => {
  it("is as many events as fit in the target time at the last batch's time per event", () => {
    expect(BATCH_TARGET_MS).toBe(8);
    // 128 events of new twins on a stack just started: 40 ms, 0.3125 ms an event -> 25 fit.
    expect(nextBatchSize(128, 40)).toBe(25);
    // 50 events in 10 ms: 0.2 ms an event -> 40 fit.
    expect(nextBatchSize(50, 10)).toBe(40);
  });

  it("stays within its bounds", () => {
    expect(MIN_BATCH_EVENTS).toBe(16);
    expect(MAX_BATCH_EVENTS).toBe(128);
    expect(nextBatchSize(128, 500)).toBe(16); // 4 ms an event: still 16, or the queue would crawl
    expect(nextBatchSize(128, 4)).toBe(128); // warm: 31 µs an event, 256 would fit
    expect(nextBatchSize(3, 0.6)).toBe(40);
  });

  it("is the largest after a batch with no events or no measurable time", () => {
    expect(nextBatchSize(0, 5)).toBe(128);
    expect(nextBatchSize(20, 0)).toBe(128);
  });
});
