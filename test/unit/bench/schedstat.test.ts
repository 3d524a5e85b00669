import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { shares, threadTimes } from "../../bench/schedstat.ts";

describe("a thread's running and waiting time (bench)", () => {
  it("works out the shares of the elapsed time between two readings", () => {
    const before = { runningNs: 1_000_000_000, waitingNs: 200_000_000 };
    const after = { runningNs: 1_700_000_000, waitingNs: 450_000_000 };
    expect(shares(before, after, 1_000)).toEqual({ running: 0.7, waiting: 0.25 });
  });

  it("has no shares without both readings or without elapsed time", () => {
    const reading = { runningNs: 1, waitingNs: 1 };
    expect(shares(undefined, reading, 1_000)).toBeUndefined();
    expect(shares(reading, undefined, 1_000)).toBeUndefined();
    expect(shares(reading, reading, 0)).toBeUndefined();
  });

  it("reads this process's main thread on Linux and sees it run", async () => {
    const before = await threadTimes(process.pid);
    if (!existsSync(`/proc/${process.pid}/task/${process.pid}/schedstat`)) {
      expect(before).toBeUndefined();
      return;
    }
    // Busy on purpose until this process has used 30 ms of CPU (not 30 ms of the wall clock, which on a
    // loaded machine may hold only a few ms of running): the thread's running time must grow.
    const cpuAtStart = process.cpuUsage();
    while (process.cpuUsage(cpuAtStart).user < 30_000) {}
    const after = await threadTimes(process.pid);
    expect(after?.runningNs).toBeGreaterThan((before?.runningNs ?? 0) + 10_000_000);
  });

  it("is undefined for a process that does not exist", async () => {
    expect(await threadTimes(2 ** 30)).toBeUndefined();
  });
});
