/**
 * The TwinStore contract: every store (memory, Redis) runs this same suite.
 * `open()` gives a new client of one shared backend, so concurrency is tested between clients.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { twinOptions } from "../../../../functions/lib/twin/state/options.ts";
import {
  APPLIED_EVENT_WINDOW,
  appliedIdsOf,
  type TwinRecord,
} from "../../../../functions/lib/twin/state/records.ts";
import { applyEvent } from "../../../../functions/lib/twin/state/reducer.ts";
import type { ParkedEvent, TwinStore, TwinUpdate } from "../../../../functions/lib/twin/store/store.ts";
import { cam, T0 } from "../messages.ts";

const context = { mec: "mec-a", nowMs: T0, options: twinOptions() };

function recordAt(stationId: string, sequence: number, eventId = `${stationId}-${sequence}`): TwinRecord {
  return applyEvent(undefined, cam(stationId, sequence), eventId, context).record;
}

/** An updater that applies one CAM: what the twin service does per event. */
const applyCam =
  (stationId: string, sequence: number, eventId: string) => (current: TwinRecord | undefined) =>
    applyEvent(current, cam(stationId, sequence), eventId, context).record;

const parkedCam = (stationId: string, sequence: number): ParkedEvent => ({
  message: cam(stationId, sequence),
  eventId: `${stationId}-${sequence}`,
  traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`,
});

export interface StoreBackend {
  /** Empties the backend; runs before each test. */
  reset(): Promise<void>;
  /** A new client of the backend. */
  open(): Promise<TwinStore>;
}

export function storeContract(name: string, backend: StoreBackend): void {
  describe(`TwinStore contract: ${name}`, () => {
    const opened: TwinStore[] = [];
    const client = async () => {
      const store = await backend.open();
      opened.push(store);
      return store;
    };
    beforeEach(() => backend.reset());
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it("creates through update, reads back, lists and deletes", async () => {
      const store = await client();
      expect(await store.get("100")).toBeUndefined();
      const written = await store.update("100", () => recordAt("100", 1));
      expect(written?.twin.id).toBe("100");
      expect(written?.twin.version).toBe(1);
      const read = await store.get("100");
      expect(read?.twin.position).toEqual({ lat: 40.6405, lon: -8.6538 });
      expect(read && appliedIdsOf(read)).toEqual(["100-1"]);
      await store.update("200", () => recordAt("200", 1));
      expect((await store.list()).map((twin) => twin.id).sort()).toEqual(["100", "200"]);
      await store.delete("100");
      expect(await store.get("100")).toBeUndefined();
      expect((await store.list()).map((twin) => twin.id)).toEqual(["200"]);
    });

    it("bumps the version on every write and not when the updater changes nothing", async () => {
      const store = await client();
      await store.update("7", applyCam("7", 1, "a"));
      await store.update("7", applyCam("7", 2, "b"));
      const same = await store.update("7", (current) => current);
      expect(same?.twin.version).toBe(2);
      const none = await store.update("7", () => undefined);
      expect(none?.twin.version).toBe(2);
      expect((await store.get("7"))?.twin.messages.cam).toBe(2);
    });

    it("applies updateMany in order, several per twin, and returns each result", async () => {
      const store = await client();
      const results = await store.updateMany([
        { id: "1", updater: applyCam("1", 1, "e1") },
        { id: "2", updater: applyCam("2", 1, "e2") },
        { id: "1", updater: applyCam("1", 2, "e3") },
        { id: "1", updater: applyCam("1", 2, "e3") }, // duplicate event id: no change
      ]);
      expect(results.map((record) => record?.twin.messages.cam)).toEqual([1, 1, 2, 2]);
      const one = await store.get("1");
      expect(one && appliedIdsOf(one)).toEqual(["e1", "e3"]);
      expect((await store.get("1"))?.twin.messages.cam).toBe(2);
      expect((await store.get("2"))?.twin.messages.cam).toBe(1);
    });

    it("loses no update when two clients update one twin concurrently", async () => {
      const first = await client();
      const second = await client();
      const perClient = 60;
      const writes = [];
      for (let i = 0; i < perClient; i++) {
        writes.push(first.update("42", applyCam("42", i, `first-${i}`)));
        writes.push(second.update("42", applyCam("42", i, `second-${i}`)));
      }
      // and pipelined batches racing each other too
      const batch = (store: TwinStore, tag: string) =>
        store.updateMany(
          Array.from({ length: 20 }, (_, i) => ({
            id: "42",
            updater: applyCam("42", 100 + i, `${tag}-${i}`),
          })),
        );
      writes.push(batch(first, "batch-a"), batch(second, "batch-b"));
      await Promise.all(writes);
      const record = await first.get("42");
      expect(record?.twin.messages.cam).toBe(2 * perClient + 40);
      expect(new Set(record && appliedIdsOf(record)).size).toBe(
        Math.min(APPLIED_EVENT_WINDOW, 2 * perClient + 40),
      );
    });

    it("builds on what another client wrote in between, even when it deleted and re-created the twin", async () => {
      const first = await client();
      const second = await client();
      const batchOf = (store: TwinStore, sequence: number, eventId: string) =>
        store.updateMany([{ id: "7", updater: applyCam("7", sequence, eventId) }]);
      await batchOf(first, 1, "a1");
      await batchOf(first, 2, "a2");
      await batchOf(second, 3, "b3"); // first's idea of the twin is now stale
      const [afterStale] = await batchOf(first, 4, "a4");
      expect(afterStale?.twin.messages.cam).toBe(4);
      expect(afterStale && appliedIdsOf(afterStale)).toEqual(["a1", "a2", "b3", "a4"]);
      // the other client deletes the twin and writes it anew up to the same version as before
      await second.delete("7");
      for (const [sequence, eventId] of [
        [10, "c10"],
        [11, "c11"],
        [12, "c12"],
        [13, "c13"],
      ] as const) {
        await batchOf(second, sequence, eventId);
      }
      expect((await second.get("7"))?.twin.version).toBe(afterStale?.twin.version);
      const [afterRecreated] = await batchOf(first, 14, "a14");
      expect(afterRecreated && appliedIdsOf(afterRecreated)).toEqual(["c10", "c11", "c12", "c13", "a14"]);
      expect((await second.get("7"))?.twin.messages.cam).toBe(5);
      // an updater that changes nothing is answered with the stored record, not a remembered one
      await batchOf(second, 15, "c15");
      const [unchanged] = await first.updateMany([{ id: "7", updater: (current) => current }]);
      expect(unchanged && appliedIdsOf(unchanged)).toContain("c15");
    });

    it("snapshots with the sequence of the last applied event and hydrates another store", async () => {
      const source = await client();
      await source.update("9", applyCam("9", 1, "x1"));
      await source.update("9", applyCam("9", 5, "x5"));
      const snapshot = await source.snapshot("9");
      expect(snapshot?.twin.sequence).toBe(T0 + 5);
      expect(snapshot?.appliedEventIds).toEqual(["x1", "x5"]);
      expect(snapshot?.accumulators?.speedSamples).toBe(2);
      expect(await source.snapshot("nobody")).toBeUndefined();
      if (!snapshot) throw new Error("no snapshot");
      await source.delete("9");
      await source.hydrate(snapshot);
      const installed = await source.get("9");
      expect(installed?.twin.sequence).toBe(T0 + 5);
      expect(installed && appliedIdsOf(installed)).toEqual(["x1", "x5"]);
      expect(installed?.accumulators?.speedSamples).toBe(2);
    });

    it("keeps the newer of snapshot and existing state on hydrate", async () => {
      const store = await client();
      await store.update("5", applyCam("5", 10, "n10"));
      const old = {
        twin: { ...recordAt("5", 3).twin },
        appliedEventIds: ["n3"],
        takenAt: new Date(T0).toISOString(),
      };
      await store.hydrate(old);
      expect((await store.get("5"))?.twin.sequence).toBe(T0 + 10);
      const newer = { ...old, twin: { ...old.twin, sequence: T0 + 20 }, appliedEventIds: ["n20"] };
      await store.hydrate(newer);
      expect((await store.get("5"))?.twin.sequence).toBe(T0 + 20);
      const five = await store.get("5");
      expect(five && appliedIdsOf(five)).toEqual(["n20"]);
    });

    it("parks only while a twin is arriving, for every client, and hands the parked events out once", async () => {
      const target = await client();
      const replica = await client();
      expect(await replica.park("car", parkedCam("car", 1), 10)).toBe("not-arriving");
      await target.expect("car");
      expect(await replica.isArriving("car")).toBe(true);
      expect(await replica.isArriving("other")).toBe(false);
      expect(await replica.park("car", parkedCam("car", 2), 10)).toBe("parked");
      expect(await target.park("car", parkedCam("car", 3), 10)).toBe("parked");
      await target.expect("car"); // expecting again keeps what is parked
      expect(await replica.park("car", parkedCam("car", 4), 10)).toBe("parked");
      expect(await target.takeParked("car")).toEqual([
        parkedCam("car", 2),
        parkedCam("car", 3),
        parkedCam("car", 4),
      ]);
      expect(await replica.isArriving("car")).toBe(false);
      expect(await replica.takeParked("car")).toEqual([]);
      expect(await replica.park("car", parkedCam("car", 5), 10)).toBe("not-arriving");
    });

    it("expectUnlessPresent marks a twin arriving only when neither it nor its tombstone is here", async () => {
      const store = await client();
      const replica = await client();
      expect(await replica.expectUnlessPresent("car")).toBe(true);
      expect(await store.park("car", parkedCam("car", 1), 10)).toBe("parked");
      await store.expect("car"); // the twin CNF's own mark keeps what was parked
      expect(await replica.expectUnlessPresent("car")).toBe(true);
      const snapshot = {
        twin: recordAt("car", 2).twin,
        appliedEventIds: ["car-2"],
        takenAt: new Date(T0).toISOString(),
      };
      await store.hydrate(snapshot);
      expect(await store.takeParked("car")).toEqual([parkedCam("car", 1)]);
      // hydrated: not marked again
      expect(await replica.expectUnlessPresent("car")).toBe(false);
      expect(await replica.isArriving("car")).toBe(false);
      await store.release("car");
      expect(await replica.expectUnlessPresent("car")).toBe(false);
      expect(await replica.isArriving("car")).toBe(false);
      const updates: TwinUpdate[] = [{ id: "car", updater: applyCam("car", 3, "c3") }];
      expect(await replica.updateMany(updates)).toEqual([undefined]);
      expect(updates[0]?.released).toBe(true);
    });

    it("bounds the parked events of a twin, dropping the oldest", async () => {
      const store = await client();
      await store.expect("car");
      expect(await store.park("car", parkedCam("car", 1), 2)).toBe("parked");
      expect(await store.park("car", parkedCam("car", 2), 2)).toBe("parked");
      expect(await store.park("car", parkedCam("car", 3), 2)).toBe("parked-overflow");
      expect(await store.takeParked("car")).toEqual([parkedCam("car", 2), parkedCam("car", 3)]);
    });

    it("writes no arriving twin in updateMany, even one it knows, and flags its updates", async () => {
      const target = await client();
      const replica = await client();
      await replica.updateMany([{ id: "known", updater: applyCam("known", 1, "k1") }]);
      await target.expect("car");
      await target.expect("known");
      const updates: TwinUpdate[] = [
        { id: "car", updater: applyCam("car", 1, "c1") },
        { id: "free", updater: applyCam("free", 1, "f1") },
        { id: "known", updater: applyCam("known", 2, "k2") },
        { id: "car", updater: applyCam("car", 2, "c2") },
      ];
      const results = await replica.updateMany(updates);
      expect(results.map((record) => record?.twin.id)).toEqual([undefined, "free", undefined, undefined]);
      expect(updates.map((update) => update.arriving === true)).toEqual([true, false, true, true]);
      expect(await target.get("car")).toBeUndefined();
      expect((await target.get("known"))?.twin.messages.cam).toBe(1);
      expect((await target.get("free"))?.twin.messages.cam).toBe(1);
      // hydrate installs the snapshot while the mark stands; after the take, updates write again
      const snapshot = await target.snapshot("known");
      if (!snapshot) throw new Error("no snapshot");
      await target.hydrate({ ...snapshot, twin: { ...snapshot.twin, id: "car" } });
      expect((await replica.get("car"))?.twin.messages.cam).toBe(1);
      await target.takeParked("car");
      const [car] = await replica.updateMany([{ id: "car", updater: applyCam("car", 3, "c3") }]);
      expect(car?.twin.messages.cam).toBe(2);
    });

    it("release clears the arriving mark and the parked events", async () => {
      const store = await client();
      const replica = await client();
      await store.expect("car");
      await replica.park("car", parkedCam("car", 1), 10);
      await store.release("car");
      expect(await replica.isArriving("car")).toBe(false);
      expect(await replica.takeParked("car")).toEqual([]);
      await store.expect("car");
      expect(await store.takeParked("car")).toEqual([]);
    });

    it("release deletes the twin and leaves a tombstone: every client's batched writes refuse it", async () => {
      const releasing = await client();
      const replica = await client();
      // the replica wrote the twin last, so it holds the record it wrote (the Redis store's cache)
      await replica.updateMany([
        { id: "car", updater: applyCam("car", 1, "c1") },
        { id: "van", updater: applyCam("van", 1, "v1") },
      ]);
      await releasing.release("car");
      expect(await replica.get("car")).toBeUndefined();
      expect((await replica.list()).map((twin) => twin.id)).toEqual(["van"]);
      const updates: TwinUpdate[] = [
        { id: "car", updater: applyCam("car", 2, "c2") },
        { id: "van", updater: applyCam("van", 2, "v2") },
        { id: "car", updater: applyCam("car", 3, "c3") },
      ];
      const results = await replica.updateMany(updates);
      expect(results.map((record) => record?.twin.messages.cam)).toEqual([undefined, 2, undefined]);
      expect(updates.map((update) => update.released === true)).toEqual([true, false, true]);
      expect(updates.map((update) => update.arriving === true)).toEqual([false, false, false]);
      // a client that never saw the twin is refused too, and nothing was written
      const fresh = await client();
      const late: TwinUpdate = { id: "car", updater: applyCam("car", 4, "c4") };
      expect(await fresh.updateMany([late])).toEqual([undefined]);
      expect(late.released).toBe(true);
      expect(await fresh.get("car")).toBeUndefined();
      expect((await fresh.list()).map((twin) => twin.id)).toEqual(["van"]);
    });

    it("release clears the arriving mark and the parked events of a twin being rolled back", async () => {
      const target = await client();
      await target.expect("car");
      await target.park("car", parkedCam("car", 1), 10);
      await target.release("car");
      expect(await target.isArriving("car")).toBe(false);
      const late: TwinUpdate = { id: "car", updater: applyCam("car", 2, "c2") };
      expect(await target.updateMany([late])).toEqual([undefined]);
      expect(late).toMatchObject({ released: true });
      expect(late.arriving).toBeUndefined();
    });

    it("accepts the twin's writes again once the tombstone expired", async () => {
      const store = await client();
      await store.update("car", () => recordAt("car", 1));
      await store.release("car", 20);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const update: TwinUpdate = { id: "car", updater: applyCam("car", 2, "c2") };
      const [record] = await (await client()).updateMany([update]);
      expect(update.released).toBeUndefined();
      expect(record?.twin.messages.cam).toBe(1);
      expect(record?.twin.version).toBe(1);
      expect((await store.get("car"))?.twin.messages.cam).toBe(1);
    });

    it("leaves no tombstone when released with no grace period", async () => {
      const store = await client();
      await store.update("car", () => recordAt("car", 1));
      await store.release("car", 0);
      const update: TwinUpdate = { id: "car", updater: applyCam("car", 2, "c2") };
      const [record] = await store.updateMany([update]);
      expect(update.released).toBeUndefined();
      expect(appliedIdsOf(record as TwinRecord)).toEqual(["c2"]);
    });

    it("refuses a grace period that is not a whole number of milliseconds >= 0", async () => {
      const store = await client();
      await expect(store.release("car", -1)).rejects.toThrow(/graceMs/);
      await expect(store.release("car", 1.5)).rejects.toThrow(/graceMs/);
    });

    it("expect clears the tombstone: the twin migrating back parks, then writes", async () => {
      const store = await client();
      const replica = await client();
      await replica.updateMany([{ id: "car", updater: applyCam("car", 1, "c1") }]);
      await store.release("car");
      await store.expect("car");
      const parked: TwinUpdate = { id: "car", updater: applyCam("car", 2, "c2") };
      expect(await replica.updateMany([parked])).toEqual([undefined]);
      expect(parked.arriving).toBe(true);
      expect(parked.released).toBeUndefined();
      await store.takeParked("car");
      const [record] = await replica.updateMany([{ id: "car", updater: applyCam("car", 3, "c3") }]);
      expect(record && appliedIdsOf(record)).toEqual(["c3"]);
      expect((await store.get("car"))?.twin.messages.cam).toBe(1);
    });

    it("hydrate clears the tombstone, and the hydrated twin outlives the grace period", async () => {
      const store = await client();
      const replica = await client();
      await replica.updateMany([{ id: "car", updater: applyCam("car", 1, "c1") }]);
      const snapshot = await store.snapshot("car");
      if (!snapshot) throw new Error("no snapshot");
      await store.release("car", 50);
      await store.hydrate(snapshot);
      const [record] = await replica.updateMany([{ id: "car", updater: applyCam("car", 2, "c2") }]);
      expect(record?.twin.messages.cam).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 120));
      const kept = await store.get("car");
      expect(kept?.twin.messages.cam).toBe(2);
      expect(kept && appliedIdsOf(kept)).toEqual(["c1", "c2"]);
      expect((await store.list()).map((twin) => twin.id)).toEqual(["car"]);
    });
  });
}
