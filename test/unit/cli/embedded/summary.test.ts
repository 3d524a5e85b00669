import { describe, expect, it } from "vitest";
import {
  formatSummary,
  formatSummaryLine,
  SummaryPrinter,
  type SummarySnapshot,
} from "../../../../cli/embedded/summary.ts";
import type { Migration } from "../../../../functions/lib/model/migration.ts";

const NOW = Date.parse("2026-11-28T08:00:10Z");

function migration(overrides: Partial<Migration>): Migration {
  return {
    id: "m",
    twin: "1001",
    from: "mec-a",
    to: "mec-b",
    trigger: "geofence",
    reason: "entered-zone",
    status: "completed",
    step: "done",
    driver: "local",
    requestedAt: "2026-11-28T08:00:00Z",
    timeUntilReadyMs: 12.4,
    timeUntilDoneMs: 20.6,
    ...overrides,
  };
}

const snapshot: SummarySnapshot = {
  uptimeS: 42.7,
  mecs: [
    { id: "mec-a", twins: 4, forwardedPerS: 8.2 },
    { id: "mec-b", twins: 2, forwardedPerS: 4 },
  ],
  messagesPerS: 12.4,
  rejected: 3,
  // Newest first, as the engine lists them.
  migrations: [
    migration({
      id: "m3",
      twin: "1003",
      status: "running",
      step: "placed",
      requestedAt: "2026-11-28T08:00:09.750Z",
    }),
    migration({ id: "m2", twin: "1002", status: "rolled-back", error: "target never ready" }),
    migration({ id: "m1", twin: "1001" }),
  ],
  nowMs: NOW,
};

describe("the live summary", () => {
  it("shows twins and rates per MEC, counts, and the migrations with their timings", () => {
    expect(formatSummary(snapshot)).toEqual([
      "vvcu  up 42 s   12 msg/s   rejected 3",
      "  mec-a          4 twins   8 msg/s",
      "  mec-b          2 twins   4 msg/s",
      "migrations: 1 completed, 1 running, 0 failed, 1 rolled back",
      "  1001 mec-a -> mec-b (geofence): completed, ready 12 ms, done 21 ms",
      "  1002 mec-a -> mec-b (geofence): rolled-back, ready 12 ms, done 21 ms: target never ready",
      "  1003 mec-a -> mec-b (geofence): running, step placed, 250 ms so far",
    ]);
  });

  it("has a one-line form for logs, naming the last completed migration", () => {
    expect(formatSummaryLine(snapshot)).toBe(
      "vvcu: twins mec-a=4 mec-b=2; 12 msg/s; rejected 3; migrations 1 completed, 1 running last 1001 mec-a->mec-b ready 12 ms done 21 ms",
    );
  });

  it("redraws in place on a terminal and appends lines otherwise", async () => {
    const written: string[] = [];
    const tty = new SummaryPrinter({
      snapshot: async () => snapshot,
      write: (t) => written.push(t),
      tty: true,
      intervalMs: 1000,
    });
    await tty.print();
    await tty.print();
    expect(written[0]?.startsWith("\x1b[")).toBe(false);
    expect(written[1]?.startsWith("\x1b[7F\x1b[0J")).toBe(true);
    const plain: string[] = [];
    const pipe = new SummaryPrinter({
      snapshot: async () => snapshot,
      write: (t) => plain.push(t),
      tty: false,
      intervalMs: 1000,
    });
    await pipe.print();
    await pipe.print();
    expect(plain.every((line) => !line.includes("\x1b") && line.endsWith("\n"))).toBe(true);
    expect(plain).toHaveLength(2);
  });
});
