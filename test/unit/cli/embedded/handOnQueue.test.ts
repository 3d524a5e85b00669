import { describe, expect, it } from "vitest";
import { HandOnQueue, RUN_BUDGET_MS } from "../../../../cli/embedded/handOnQueue.ts";

describe("the ordered hand-on queue", () => {
  it("hands a batch on in order and reports it once, not once per item", () => {
    const handed: number[] = [];
    const reports: number[] = [];
    const queue = new HandOnQueue<number>({
      handOn: (item) => {
        handed.push(item);
        return undefined;
      },
      onHanded: (count) => reports.push(count),
      maxWaiting: 100,
      loopTurn: { spent: () => false },
    });
    queue.pushAll([1, 2, 3]);
    queue.pushAll([]);
    queue.pushAll([4, 5]);
    expect(handed).toEqual([1, 2, 3, 4, 5]);
    expect(reports).toEqual([3, 2]);
    expect(queue.size).toBe(0);
  });

  it("keeps the order when a bridge is full and reports what it handed once it goes on", async () => {
    const handed: number[] = [];
    const reports: number[] = [];
    let release: () => void = () => {};
    const full = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new HandOnQueue<number>({
      handOn: (item) => {
        handed.push(item);
        return item === 2 ? full : undefined;
      },
      onHanded: (count) => reports.push(count),
      maxWaiting: 100,
      loopTurn: { spent: () => false },
    });
    queue.pushAll([1, 2, 3]);
    queue.pushAll([4]);
    expect(handed).toEqual([1, 2]);
    expect(reports).toEqual([]);
    release();
    await full;
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).toEqual([1, 2, 3, 4]);
    expect(reports).toEqual([4]);
  });

  it("ends a run after its time budget, whatever the number per turn, and hands the rest on in the next turns", async () => {
    let now = 0;
    const handed: number[] = [];
    const reports: number[] = [];
    const queue = new HandOnQueue<number>({
      handOn: (item) => {
        handed.push(item);
        now += 1; // each hand-on takes 1 ms: slow, as on a stack just started
        return undefined;
      },
      onHanded: (count) => reports.push(count),
      maxWaiting: 1_000,
      clock: () => now,
      loopTurn: { spent: () => false },
    });
    queue.pushAll(Array.from({ length: 25 }, (_, index) => index));
    expect(handed).toHaveLength(RUN_BUDGET_MS);
    expect(reports).toEqual([RUN_BUDGET_MS]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).toHaveLength(2 * RUN_BUDGET_MS);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).toEqual(Array.from({ length: 25 }, (_, index) => index));
    expect(reports).toEqual([RUN_BUDGET_MS, RUN_BUDGET_MS, 25 - 2 * RUN_BUDGET_MS]);
  });

  it("hands on one message a turn while the thread's turn budget is spent", async () => {
    const handed: number[] = [];
    let spent = true;
    const queue = new HandOnQueue<number>({
      handOn: (item) => {
        handed.push(item);
        return undefined;
      },
      maxWaiting: 1_000,
      clock: () => 0,
      loopTurn: { spent: () => spent },
    });
    queue.pushAll([0, 1, 2, 3, 4, 5]);
    expect(handed).toEqual([0]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).toEqual([0, 1]);
    spent = false;
    await new Promise((resolve) => setImmediate(resolve));
    expect(handed).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
