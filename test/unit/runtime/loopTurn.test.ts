import { describe, expect, it } from "vitest";
import { LOOP_TURN_BUDGET_MS, LoopTurn } from "../../../functions/lib/runtime/loopTurn.ts";

/** A turn budget on a clock the test moves, whose "next check phase" the test runs. */
function manual(budgetMs = 16) {
  const clock = { now: 1_000 };
  const queued: (() => void)[] = [];
  const turn = new LoopTurn({
    budgetMs,
    clock: () => clock.now,
    atNextTurn: (callback) => queued.push(callback),
  });
  const nextTurn = () => {
    for (const callback of queued.splice(0)) callback();
  };
  return { clock, queued, turn, nextTurn };
}

describe("LoopTurn", () => {
  it("counts from the first question of a turn, not from the last turn's end", () => {
    const { clock, turn, nextTurn } = manual();
    clock.now = 5_000; // the thread was idle: that time is not this turn's
    expect(turn.elapsedMs()).toBe(0);
    clock.now = 5_010;
    expect(turn.elapsedMs()).toBe(10);
    expect(turn.spent()).toBe(false);
    clock.now = 5_016;
    expect(turn.spent()).toBe(true);
    nextTurn();
    clock.now = 5_020;
    expect(turn.elapsedMs()).toBe(0);
    expect(turn.spent()).toBe(false);
  });

  it("asks for one end per turn, queued by the first question", () => {
    const { clock, queued, turn, nextTurn } = manual();
    turn.spent();
    clock.now += 3;
    turn.spent();
    turn.elapsedMs();
    expect(queued).toHaveLength(1);
    nextTurn();
    expect(queued).toHaveLength(0);
    turn.spent();
    expect(queued).toHaveLength(1);
  });

  it("ends with the event loop's next check phase by default", async () => {
    let now = 0;
    const turn = new LoopTurn({ clock: () => now });
    turn.elapsedMs();
    now = LOOP_TURN_BUDGET_MS;
    expect(turn.spent()).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    now = 100;
    expect(turn.spent()).toBe(false);
    expect(turn.elapsedMs()).toBe(0);
  });
});
