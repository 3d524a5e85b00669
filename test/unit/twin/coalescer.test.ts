import { afterEach, describe, expect, it, vi } from "vitest";
import { Coalescer } from "../../../functions/lib/twin/coalescer.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("Coalescer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends trailing updates that fall due together a few dozen per turn of the event loop, each once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let now = 0;
    const sent: string[] = [];
    const coalescer = new Coalescer({ minIntervalMs: 500, send: (key) => sent.push(key), now: () => now });
    const keys = Array.from({ length: 200 }, (_, index) => `twin-${index}`);
    for (const key of keys) coalescer.touch(key); // first change: sent at once, within the turn's budget
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    expect(sent).toHaveLength(200);
    sent.length = 0;
    now = 100;
    for (const key of keys) coalescer.touch(key); // within the interval: one trailing send each
    coalescer.cancel("twin-199");
    now = 500;
    vi.advanceTimersByTime(400);
    expect(sent).toHaveLength(64);
    // Touched again while its send waits: still one send, carrying the change.
    coalescer.touch("twin-150");
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    expect(sent).toHaveLength(199);
    expect(new Set(sent).size).toBe(199);
    expect(sent).not.toContain("twin-199");
  });

  it("sends the first changes of many quiet keys a few dozen per turn too, each once and at once after", async () => {
    let now = 0;
    const sent: string[] = [];
    const coalescer = new Coalescer({ minIntervalMs: 500, send: (key) => sent.push(key), now: () => now });
    const keys = Array.from({ length: 150 }, (_, index) => `quiet-${index}`);
    for (const key of keys) coalescer.touch(key);
    expect(sent).toEqual(keys.slice(0, 64));
    coalescer.touch("quiet-100"); // changed again while it waits: still one send
    await nextTurn();
    expect(sent).toHaveLength(128);
    await nextTurn();
    expect(sent).toEqual(keys);
    // The interval starts when a key is sent: a change right after is held for the trailing send.
    now = 10;
    coalescer.touch("quiet-149");
    expect(sent).toHaveLength(150);
    coalescer.stop();
  });

  it("flushes the updates still waiting for their turn", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let now = 0;
    const sent: string[] = [];
    const coalescer = new Coalescer({ minIntervalMs: 500, send: (key) => sent.push(key), now: () => now });
    const keys = Array.from({ length: 100 }, (_, index) => `t${index}`);
    for (const key of keys) coalescer.touch(key);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    now = 100;
    for (const key of keys) coalescer.touch(key);
    now = 500;
    vi.advanceTimersByTime(400);
    expect(sent).toHaveLength(100 + 64);
    coalescer.flush();
    expect(sent).toHaveLength(200);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    expect(sent).toHaveLength(200);
  });
});
