import { describe, expect, it } from "vitest";
import { twinOptions } from "../../../../functions/lib/twin/state/options.ts";
import { applyEvent } from "../../../../functions/lib/twin/state/reducer.ts";
import { sweep, sweepRecord } from "../../../../functions/lib/twin/state/sweep.ts";
import { cam, denm, T0 } from "../messages.ts";

const options = twinOptions({ staleAfterMs: 5_000, expireAfterMs: 20_000, rateWindowMs: 1_000 });
const seenAt = (stationId: string, nowMs: number) =>
  applyEvent(undefined, cam(stationId, 0), `${stationId}-0`, { mec: "mec-a", nowMs, options }).record;

describe("sweep", () => {
  it("leaves a twin seen recently alone", () => {
    const record = seenAt("1", T0);
    const result = sweepRecord(record, T0 + 500, options);
    expect(result.outcome).toBe("unchanged");
    expect(result.record).toBe(record);
  });

  it("marks a quiet twin stale, then expires it after the longer period", () => {
    const record = seenAt("1", T0);
    const stale = sweepRecord(record, T0 + 5_000, options);
    expect(stale.outcome).toBe("changed");
    expect(stale.record.twin.liveness).toBe("stale");
    expect(stale.record.twin.messageRates.cam).toBeCloseTo(1 / 5, 10);
    const quiet = sweepRecord(stale.record, T0 + 6_000, options);
    expect(quiet.record.twin.messageRates.cam).toBe(0);
    expect(sweepRecord(quiet.record, T0 + 7_000, options).outcome).toBe("unchanged");
    expect(sweepRecord(stale.record, T0 + 19_999, options).outcome).not.toBe("expired");
    expect(sweepRecord(stale.record, T0 + 20_000, options).outcome).toBe("expired");
  });

  it("lets message rates fall to zero when the station goes quiet", () => {
    const first = sweepRecord(seenAt("1", T0), T0 + 1_000, options).record;
    expect(first.twin.messageRates.cam).toBeCloseTo(1, 10);
    const second = sweepRecord(first, T0 + 2_000, options);
    expect(second.outcome).toBe("changed");
    expect(second.record.twin.messageRates.cam).toBe(0);
  });

  it("drops hazards whose validity ended", () => {
    const record = applyEvent(undefined, denm("2", 0, { validityDurationS: 2 }), "d", {
      mec: "mec-a",
      nowMs: T0,
      options,
    }).record;
    expect(record.twin.hazards).toHaveLength(1);
    const result = sweepRecord(record, T0 + 2_500, options);
    expect(result.record.twin.hazards).toEqual([]);
    expect(result.record.twin.liveness).toBe("live");
  });

  it("sorts many records into changed and expired", () => {
    const records = [seenAt("live", T0 + 20_000), seenAt("stale", T0 + 12_000), seenAt("gone", T0)];
    const result = sweep(records, T0 + 20_000, options);
    expect(result.expired.map((record) => record.twin.id)).toEqual(["gone"]);
    expect(result.changed.map((record) => [record.twin.id, record.twin.liveness])).toEqual([
      ["stale", "stale"],
    ]);
  });
});
