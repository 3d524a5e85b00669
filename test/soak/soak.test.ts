/** A short soak (about 20 s) in every test run: the accounting must hold to the message. */
import { describe, expect, it } from "vitest";
import { EXPECTED_CODE } from "./badInput.ts";
import { runSoak } from "./soak.ts";

describe("a 20 s soak of the embedded stack", { timeout: 150_000 }, () => {
  it("applies every valid CAM once and dead-letters every bad input with its reason", async () => {
    const report = await runSoak({
      durationS: 20,
      vehicles: 20,
      rateHz: 2,
      broker: "embedded",
      badRoundsPerSecond: 2,
      sampleEveryS: 5,
    });
    expect(report.camsPublished).toBeGreaterThan(0);
    expect(report.camsApplied).toBe(report.camsPublished);
    for (const [kind, code] of Object.entries(EXPECTED_CODE)) {
      const sent = report.badSent[kind as keyof typeof EXPECTED_CODE];
      expect(sent, kind).toBeGreaterThan(0);
      expect(report.deadLetters[code] ?? 0, code).toBeGreaterThanOrEqual(sent);
    }
    expect(report.badUnaccounted).toBe(0);
    expect(report.oversizeConnectionClosed).toBe(true);
    expect(report.samples.length).toBeGreaterThan(0);
  });
});
