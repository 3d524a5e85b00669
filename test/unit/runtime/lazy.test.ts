import { describe, expect, it } from "vitest";
import { lazily } from "../../../functions/lib/runtime/lazy.ts";

describe("lazily", () => {
  it("builds nothing until asked, then once for concurrent callers", async () => {
    let builds = 0;
    const lazy = lazily(async () => ++builds);
    expect(builds).toBe(0);
    expect(lazy.peek()).toBeUndefined();
    const [first, second] = await Promise.all([lazy.get(), lazy.get()]);
    expect([first, second, builds]).toEqual([1, 1, 1]);
    expect(await lazy.get()).toBe(1);
  });

  it("builds again after a failure instead of keeping the rejection", async () => {
    let attempts = 0;
    const lazy = lazily(async () => {
      attempts++;
      if (attempts === 1) throw new Error("broker down");
      return "connected";
    });
    await expect(lazy.get()).rejects.toThrow("broker down");
    expect(await lazy.get()).toBe("connected");
    expect(attempts).toBe(2);
  });

  it("turns a synchronous throw of the builder into a rejection", async () => {
    const lazy = lazily<number>(() => {
      throw new Error("VVCU_MEC_ID is not set");
    });
    await expect(lazy.get()).rejects.toThrow("VVCU_MEC_ID is not set");
  });

  it("reset hands back what was built and builds anew on the next get", async () => {
    let builds = 0;
    const lazy = lazily(() => ++builds);
    await lazy.get();
    expect(await lazy.reset()).toBe(1);
    expect(lazy.peek()).toBeUndefined();
    expect(await lazy.get()).toBe(2);
  });
});
