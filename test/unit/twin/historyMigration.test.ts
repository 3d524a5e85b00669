/**
 * A twin's history moves with it: the target goes on where the source stopped, with nothing lost
 * or doubled at the switch, and the source lets it go.
 */
import { describe, expect, it } from "vitest";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import { citsEvent } from "./events.ts";
import { cam, T0 } from "./messages.ts";

describe("history across a migration", () => {
  it("continues at the target from the snapshot, with the parked events, once each", async () => {
    let now = T0;
    const host = (mec: string) =>
      new TwinService({
        mec,
        store: new MemoryTwinStore(),
        sink: new CollectingSink(),
        clock: () => now,
        options: { historyMs: 600_000, historyIntervalMs: 1_000 },
      });
    const source = host("mec-a");
    const target = host("mec-b");
    // 10 Hz: event i is received at T0 + 100 i ms, at speed i / 10
    const event = (i: number) => {
      now = T0 + i * 100;
      return citsEvent(
        cam("car-1", i * 100, { position: { lat: 40.64 + i * 1e-5, lon: -8.65 }, speed: i / 10 }),
        `ev-${i}`,
      );
    };
    for (let i = 0; i < 50; i++) expect(await source.handle(event(i))).toBe("applied");
    await target.expect("car-1");
    for (let i = 50; i < 60; i++) {
      const sent = event(i);
      expect(await source.handle(sent)).toBe("applied");
      expect(await target.handle(sent)).toBe("parked");
    }
    now = T0 + 6_000;
    const snapshot = await source.snapshot("car-1");
    if (!snapshot) throw new Error("no snapshot");
    expect(snapshot.history?.rows.map((row) => row[0])).toEqual(
      [0, 1, 2, 3, 4, 5].map((s) => T0 + s * 1_000),
    );
    const after = event(61); // after the cut: the source applies it, the target parks it
    await source.handle(after);
    expect(await target.handle(after)).toBe("parked");
    now = T0 + 6_150;
    await target.hydrate(JSON.parse(JSON.stringify(snapshot))); // as it travels between hosts
    await source.release("car-1");
    for (let i = 62; i <= 85; i++) expect(await target.handle(event(i))).toBe("applied");

    const history = await target.historyOf("car-1", 0, Number.POSITIVE_INFINITY);
    // one sample a second: 0..5 s from the source, 6.15 s (event 61, parked), then 7.2 s and 8.2 s
    expect(history?.samples.map((sample) => [Date.parse(sample.time) - T0, sample.speed])).toEqual([
      [0, 0],
      [1_000, 1],
      [2_000, 2],
      [3_000, 3],
      [4_000, 4],
      [5_000, 5],
      [6_150, 6.1],
      [7_200, 7.2],
      [8_200, 8.2],
    ]);
    expect(history?.samples[6]?.position).toEqual({ lat: 40.64 + 61e-5, lon: -8.65 });
    expect(await source.historyOf("car-1", 0, Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it("answers only samples within the history's duration", async () => {
    let now = T0;
    const service = new TwinService({
      mec: "mec-a",
      store: new MemoryTwinStore(),
      sink: new CollectingSink(),
      clock: () => now,
      options: { historyMs: 5_000, historyIntervalMs: 1_000 },
    });
    for (let i = 0; i < 10; i++) {
      now = T0 + i * 1_000;
      await service.handle(citsEvent(cam("car-2", i * 1_000, { speed: i }), `e${i}`));
    }
    const history = await service.historyOf("car-2", 0, Number.POSITIVE_INFINITY);
    expect(history?.samples.map((sample) => sample.speed)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(await service.historyOf("nobody", 0, Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});
