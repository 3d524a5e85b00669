import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyedQueue } from "../../../functions/lib/runtime/keyedQueue.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedQueue", () => {
  it("keeps each key's items in order while different keys interleave", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d"), fc.nat(3)), { maxLength: 60 }),
        fc.integer({ min: 1, max: 4 }),
        async (items, concurrency) => {
          const done: [string, number][] = [];
          const queue = new KeyedQueue<[string, number, number]>({
            concurrency,
            worker: async ([key, index, waits]) => {
              for (let i = 0; i < waits; i++) await tick();
              done.push([key, index]);
            },
            onError: () => {},
          });
          for (const [index, [key, waits]] of items.entries()) queue.push(key, [key, index, waits]);
          await queue.idle();
          expect(done).toHaveLength(items.length);
          for (const key of ["a", "b", "c", "d"]) {
            const order = done.filter(([k]) => k === key).map(([, index]) => index);
            expect(order).toEqual([...order].sort((x, y) => x - y));
          }
        },
      ),
    );
  });

  it("never runs more than `concurrency` items, nor two of one key, at once", async () => {
    let running = 0;
    let maxRunning = 0;
    const runningKeys = new Set<string>();
    const queue = new KeyedQueue<string>({
      concurrency: 3,
      worker: async (key) => {
        expect(runningKeys.has(key)).toBe(false);
        runningKeys.add(key);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await tick();
        running--;
        runningKeys.delete(key);
      },
      onError: () => {},
    });
    for (let i = 0; i < 40; i++) queue.push(`k${i % 5}`, `k${i % 5}`);
    expect(queue.size).toBe(40);
    await queue.idle();
    expect(maxRunning).toBe(3);
    expect(queue.size).toBe(0);
  });

  it("reports a failing item and goes on with the key's next one", async () => {
    const errors: string[] = [];
    const done: number[] = [];
    const queue = new KeyedQueue<number>({
      concurrency: 1,
      worker: async (n) => {
        if (n === 2) throw new Error("boom");
        if (n === 3) throw "not an error";
        done.push(n);
      },
      onError: (error, n) => errors.push(`${n}:${error instanceof Error ? error.message : String(error)}`),
    });
    for (const n of [1, 2, 3, 4]) queue.push("one", n);
    await queue.idle();
    expect(done).toEqual([1, 4]);
    expect(errors).toEqual(["2:boom", "3:not an error"]);
  });

  it("lets keys take turns: a key with more items goes back behind the keys already waiting", async () => {
    const started: string[] = [];
    const queue = new KeyedQueue<string>({
      concurrency: 1,
      worker: async (item) => {
        started.push(item);
        await tick();
      },
      onError: () => {},
    });
    for (const [key, item] of [
      ["a", "a1"],
      ["a", "a2"],
      ["b", "b1"],
      ["c", "c1"],
      ["a", "a3"],
      ["b", "b2"],
    ] as const) {
      queue.push(key, item);
    }
    await queue.idle();
    expect(started).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  it("serves thousands of keys in arrival order and forgets them when done", async () => {
    const done: number[] = [];
    const queue = new KeyedQueue<number>({
      concurrency: 3,
      worker: async (item) => {
        if (item % 7 === 0) await tick();
        done.push(item);
      },
      onError: () => {},
    });
    for (let round = 0; round < 2; round++) {
      for (let n = 0; n < 5_000; n++) queue.push(`twin-${n}`, round * 5_000 + n);
      expect(queue.size).toBeGreaterThan(0);
      await queue.idle();
    }
    expect(done).toHaveLength(10_000);
    expect(new Set(done).size).toBe(10_000);
    expect(queue.size).toBe(0);
  });

  it("lets go of an item that runs past the timeout: the key's next item goes on, and its late outcome counts for nothing", async () => {
    const events: string[] = [];
    let finishLate: (fail: boolean) => void = () => {};
    const queue = new KeyedQueue<string>({
      concurrency: 1,
      worker: (item) => {
        events.push(`start ${item}`);
        if (item !== "slow") return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          finishLate = (fail) => (fail ? reject(new Error("late failure")) : resolve());
        });
      },
      onDone: (item) => events.push(`done ${item}`),
      onError: (_error, item) => events.push(`failed ${item}`),
      onTimeout: (item) => events.push(`timeout ${item}`),
      timeoutMs: 20,
    });
    queue.push("k", "slow");
    queue.push("k", "next");
    queue.push("other", "o1");
    await queue.idle();
    expect(events).toEqual(["start slow", "timeout slow", "start o1", "done o1", "start next", "done next"]);
    // The slow item ends after all; another run of the same key is not disturbed by it.
    queue.push("k", "again");
    finishLate(true);
    await queue.idle();
    await tick();
    expect(events.slice(6)).toEqual(["start again", "done again"]);
    expect(queue.size).toBe(0);
  });

  it("rejects a concurrency below one", () => {
    expect(() => new KeyedQueue({ concurrency: 0, worker: async () => {}, onError: () => {} })).toThrow(
      /at least 1/,
    );
  });
});
