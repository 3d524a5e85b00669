import { afterEach, describe, expect, it, vi } from "vitest";
import { Coalescer } from "../../../functions/lib/twin/coalescer.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** A coalescer at 2 sends per key and second, on a clock the test moves, recording what it sends. */
function recording() {
  const clock = { now: 0 };
  const sent: string[] = [];
  const coalescer = new Coalescer({
    minIntervalMs: 500,
    send: (key) => sent.push(key),
    now: () => clock.now,
  });
  return { clock, sent, coalescer };
}

const keysOf = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);

describe("Coalescer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends trailing updates that fall due together a few dozen per turn of the event loop, each once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { clock, sent, coalescer } = recording();
    const keys = keysOf("twin-", 200);
    for (const key of keys) coalescer.touch(key); // first change: sent at once, within the turn's budget
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    expect(sent).toHaveLength(200);
    sent.length = 0;
    clock.now = 100;
    for (const key of keys) coalescer.touch(key); // within the interval: one trailing send each
    coalescer.cancel("twin-199");
    clock.now = 500;
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
    const { clock, sent, coalescer } = recording();
    const keys = keysOf("quiet-", 150);
    for (const key of keys) coalescer.touch(key);
    expect(sent).toEqual(keys.slice(0, 64));
    coalescer.touch("quiet-100"); // changed again while it waits: still one send
    await nextTurn();
    expect(sent).toHaveLength(128);
    await nextTurn();
    expect(sent).toEqual(keys);
    // The interval starts when a key is sent: a change right after is held for the trailing send.
    clock.now = 10;
    coalescer.touch("quiet-149");
    expect(sent).toHaveLength(150);
    coalescer.stop();
  });

  it("flushes the updates still waiting for their turn", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { clock, sent, coalescer } = recording();
    const keys = keysOf("t", 100);
    for (const key of keys) coalescer.touch(key);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    clock.now = 100;
    for (const key of keys) coalescer.touch(key);
    clock.now = 500;
    vi.advanceTimersByTime(400);
    expect(sent).toHaveLength(100 + 64);
    coalescer.flush();
    expect(sent).toHaveLength(200);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    expect(sent).toHaveLength(200);
  });
});
