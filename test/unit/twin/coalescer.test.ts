import { afterEach, describe, expect, it, vi } from "vitest";
import { Coalescer, TURN_BUDGET_MS } from "../../../functions/lib/twin/coalescer.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** The thread's turn budget never spent: only the coalescer's own limits apply. */
const neverSpent = { spent: () => false };

/** A coalescer at 2 sends per key and second, on a clock the test moves, recording what it sends. */
function recording() {
  const clock = { now: 0 };
  const sent: string[] = [];
  const coalescer = new Coalescer({
    minIntervalMs: 500,
    send: (key) => sent.push(key),
    now: () => clock.now,
    turnClock: () => 0, // sends take no time: only the number per turn limits them
    loopTurn: neverSpent,
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

  it("ends a turn's sends after its time budget and sends the rest, in order, on the next turns", async () => {
    let turnNow = 0;
    const sent: string[] = [];
    const coalescer = new Coalescer({
      minIntervalMs: 500,
      send: (key) => {
        sent.push(key);
        turnNow += 1; // each send takes 1 ms: slow, as on a stack just started
      },
      now: () => 0,
      turnClock: () => turnNow,
      loopTurn: neverSpent,
    });
    const keys = keysOf("cold-", 20);
    for (const key of keys) coalescer.touch(key);
    expect(sent).toEqual(keys.slice(0, TURN_BUDGET_MS));
    await nextTurn();
    expect(sent).toEqual(keys.slice(0, 2 * TURN_BUDGET_MS));
    coalescer.touch("late"); // a key touched while others wait goes after them
    await nextTurn();
    expect(sent).toEqual([...keys, "late"]);
    coalescer.stop();
  });

  it("sends only the first of a turn once the thread's turn budget is spent, the rest on the next turns", async () => {
    const sent: string[] = [];
    let spent = false;
    const coalescer = new Coalescer({
      minIntervalMs: 500,
      send: (key) => sent.push(key),
      now: () => 0,
      turnClock: () => 0,
      loopTurn: { spent: () => spent },
    });
    const keys = keysOf("busy-", 5);
    coalescer.touch(keys[0] as string);
    spent = true; // other work of this turn took the thread's budget
    for (const key of keys.slice(1)) coalescer.touch(key);
    expect(sent).toEqual(keys.slice(0, 1));
    await nextTurn();
    expect(sent).toEqual(keys.slice(0, 2));
    await nextTurn();
    expect(sent).toEqual(keys.slice(0, 3));
    spent = false;
    await nextTurn();
    expect(sent).toEqual(keys);
    coalescer.stop();
  });

  it("sends a key's first state before the trailing sends that wait", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { clock, sent, coalescer } = recording();
    const old = keysOf("old-", 100);
    for (const key of old) coalescer.touch(key);
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    sent.length = 0;
    clock.now = 100;
    for (const key of old) coalescer.touch(key);
    clock.now = 500;
    vi.advanceTimersByTime(400); // 64 trailing sends now, 36 wait
    expect(sent).toEqual(old.slice(0, 64));
    coalescer.touch("new-1");
    coalescer.touch("new-2");
    await nextTurn();
    expect(sent.slice(64)).toEqual(["new-1", "new-2", ...old.slice(64)]);
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
