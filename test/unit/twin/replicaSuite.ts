/**
 * Two replicas of one MEC's twin function on one store backend, during a migration: one expects
 * and hydrates the twin, the other receives its events in between. Run on memory and on Redis.
 */
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { type HandleOutcome, TwinService } from "../../../functions/lib/twin/service.ts";
import { appliedIdsOf } from "../../../functions/lib/twin/state/records.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import type { TwinStore } from "../../../functions/lib/twin/store/store.ts";
import { citsEvent } from "./events.ts";
import { cam, T0 } from "./messages.ts";
import type { StoreBackend } from "./store/storeContract.ts";

const silent = pino({ level: "silent" });
const clock = () => T0 + 1_000;
const camEvent = (sequence: number) => citsEvent(cam("car", sequence), `e${sequence}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export function replicaSuite(name: string, backend: StoreBackend): void {
  describe(`two twin-function replicas on one store: ${name}`, () => {
    const stores: TwinStore[] = [];
    const services: TwinService[] = [];
    const replica = async (mec: string, store?: TwinStore) => {
      const opened = store ?? (await backend.open());
      stores.push(opened);
      const service = new TwinService({
        mec,
        store: opened,
        sink: new CollectingSink(),
        clock,
        logger: silent,
      });
      services.push(service);
      return service;
    };
    beforeEach(() => backend.reset());
    afterEach(async () => {
      await Promise.all(services.splice(0).map((service) => service.stop()));
      await Promise.all(stores.splice(0).map((store) => store.close()));
    });

    /** The source MEC's twin after events 1..5, and its snapshot. */
    async function sourceSnapshot() {
      const source = await replica("mec-a", new MemoryTwinStore());
      for (const sequence of range(1, 5)) await source.handle(camEvent(sequence));
      const snapshot = await source.snapshot("car");
      if (!snapshot) throw new Error("no snapshot at the source");
      return snapshot;
    }

    it("parks what the other replica receives before the hydrate, and applies each event exactly once", async () => {
      const snapshot = await sourceSnapshot();
      const hydrating = await replica("mec-b");
      const receiving = await replica("mec-b");
      await hydrating.expect("car");
      // events the bridge sends both MECs around the switch: some the snapshot holds, some newer
      const before = await Promise.all(range(4, 10).map((sequence) => receiving.handle(camEvent(sequence))));
      expect(before).toEqual(range(4, 10).map(() => "parked"));
      expect(await receiving.twin("car")).toBeUndefined();
      expect(await receiving.isReady("car")).toBe(false);
      await hydrating.hydrate(snapshot);
      expect(await receiving.isReady("car")).toBe(true);
      expect(await receiving.handle(camEvent(11))).toBe("applied");
      expect(await receiving.handle(camEvent(7))).toBe("duplicate");
      await Promise.all(services.map((service) => service.drain()));
      const record = await stores[1]?.get("car");
      expect(record?.twin.messages.cam).toBe(11);
      expect(record?.twin.sequence).toBe(T0 + 11);
      expect(record && appliedIdsOf(record)).toEqual(range(1, 11).map((sequence) => `e${sequence}`));
    });

    it("loses and doubles nothing when events reach the other replica while the hydrate runs", async () => {
      const snapshot = await sourceSnapshot();
      const hydrating = await replica("mec-b");
      const receiving = await replica("mec-b");
      await hydrating.expect("car");
      const parked = range(3, 8).map((sequence) => receiving.handle(camEvent(sequence)));
      await Promise.all(parked);
      const outcomes: Promise<HandleOutcome>[] = [];
      const hydrated = hydrating.hydrate(snapshot);
      for (const sequence of range(9, 40)) {
        outcomes.push(receiving.handle(camEvent(sequence)));
        // let the hydrate and the other replica's writes interleave
        if (sequence % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await hydrated;
      await Promise.all(outcomes);
      await Promise.all(services.map((service) => service.drain()));
      const record = await stores[1]?.get("car");
      expect(record?.twin.messages.cam).toBe(40);
      const ids = record ? appliedIdsOf(record) : [];
      expect([...ids].sort()).toEqual(
        range(1, 40)
          .map((sequence) => `e${sequence}`)
          .sort(),
      );
      expect(await hydrating.isReady("car")).toBe(true);
    });

    it("drops late events at the other replica for a twin released after a migration, until it migrates back", async () => {
      const releasing = await replica("mec-b");
      const receiving = await replica("mec-b");
      // the receiving replica applied the twin's events, so it holds the record it wrote last
      for (const sequence of range(1, 5)) expect(await receiving.handle(camEvent(sequence))).toBe("applied");
      const snapshot = await releasing.snapshot("car");
      if (!snapshot) throw new Error("no snapshot");
      await releasing.release("car");
      // stragglers the bridge forwarded before the switch, one alone and a batch
      expect(await receiving.handle(camEvent(6))).toBe("released");
      const late = await Promise.all(range(7, 9).map((sequence) => receiving.handle(camEvent(sequence))));
      expect(late).toEqual(["released", "released", "released"]);
      await Promise.all(services.map((service) => service.drain()));
      expect(await receiving.twin("car")).toBeUndefined();
      expect(await releasing.twins()).toEqual([]);
      expect(await stores[1]?.get("car")).toBeUndefined();
      // the twin migrates back: parked at the other replica while arriving, then applied
      await releasing.expect("car");
      expect(await receiving.handle(camEvent(10))).toBe("parked");
      await releasing.hydrate(snapshot);
      expect(await receiving.handle(camEvent(11))).toBe("applied");
      const record = await stores[0]?.get("car");
      expect(record?.twin.messages.cam).toBe(7);
      expect(record && appliedIdsOf(record)).toEqual(
        [...range(1, 5), 10, 11].map((sequence) => `e${sequence}`),
      );
    });
  });
}
