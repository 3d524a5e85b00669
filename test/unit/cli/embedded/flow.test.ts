import { describe, expect, it } from "vitest";
import { StationFlow } from "../../../../cli/embedded/flow.ts";

describe("StationFlow.settle", () => {
  it("is settled at once when the source has seen and applied everything others saw", async () => {
    const flow = new StationFlow();
    for (let i = 0; i < 3; i++) {
      flow.seen("a", "7", true);
      flow.handled("a", "7");
      flow.seen("b", "7", false);
    }
    expect(await flow.settle("7", "a", 100)).toBe(true);
  });

  it("waits until the source has seen what the target skipped, and applied what it forwarded", async () => {
    const flow = new StationFlow();
    // The target's bridge read two messages (skipped them); the source has read only one so far.
    flow.seen("b", "7", false);
    flow.seen("b", "7", false);
    flow.seen("a", "7", true);
    let settled: boolean | undefined;
    const waiting = flow.settle("7", "a", 5_000).then((result) => {
      settled = result;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBeUndefined();
    flow.seen("a", "7", true); // the second message reaches the source's bridge
    flow.handled("a", "7");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBeUndefined(); // one of two forwarded is applied
    // Messages the target sees after the call do not move the goal.
    flow.seen("b", "7", true);
    flow.handled("a", "7");
    await waiting;
    expect(settled).toBe(true);
  });

  it("gives up after the timeout and says so", async () => {
    const flow = new StationFlow();
    flow.seen("b", "7", false);
    expect(await flow.settle("7", "a", 20)).toBe(false);
  });

  it("keeps stations apart and forgets one everywhere", () => {
    const flow = new StationFlow();
    flow.seen("a", "1", true);
    flow.seen("a", "2", false);
    flow.handled("a", "1");
    expect(flow.counts("a", "1")).toEqual({ seen: 1, forwarded: 1, handled: 1 });
    expect(flow.counts("a", "2")).toEqual({ seen: 1, forwarded: 0, handled: 0 });
    flow.forget("1");
    expect(flow.counts("a", "1")).toEqual({ seen: 0, forwarded: 0, handled: 0 });
    expect(flow.seenElsewhere("2", "b")).toBe(1);
  });
});
