/**
 * A twin's history in a real Redis: a restarted twin service reads it back and goes on; the
 * manager's reader answers it without the service; a migration between two MECs' stores moves
 * it, and the source's copy is gone.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { StoredHistories } from "../../../functions/lib/twin/store/historyStore.ts";
import { RedisTwinStore } from "../../../functions/lib/twin/store/redisStore.ts";
import { type RunningServer, startRedis } from "../../helpers/servers.ts";
import { citsEvent } from "../../unit/twin/events.ts";
import { cam, cpm, T0 } from "../../unit/twin/messages.ts";

const OPTIONS = { historyMs: 600_000, historyIntervalMs: 1_000, historyObjectsIntervalMs: 10_000 };

describe("twin history with Redis", () => {
  let server: RunningServer;
  let admin: Redis;
  let now = T0;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url, { commandTimeout: 5_000 });
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.dispose();
  });

  function open(mec: string) {
    const store = new RedisTwinStore({ url: server.url, mec });
    const service = new TwinService({
      mec,
      store,
      sink: new CollectingSink(),
      clock: () => now,
      options: OPTIONS,
      history: store.historyStore(700_000),
    });
    return { store, service };
  }
  const speeds = async (service: TwinService, id: string) =>
    (await service.historyOf(id, 0, Number.POSITIVE_INFINITY))?.samples.map((s) => [
      Date.parse(s.time) - T0,
      s.speed,
    ]);

  it("survives a restart of the twin service, and goes on from where it was", async () => {
    await admin.flushdb();
    const first = open("mec-a");
    await first.service.start(60_000);
    for (let i = 0; i < 30; i++) {
      now = T0 + i * 200; // 5 Hz for 6 s
      await first.service.handle(citsEvent(cam("car-1", i * 200, { speed: i / 5 }), `a-${i}`));
    }
    for (let i = 0; i < 3; i++) {
      now = T0 + 6_000 + i * 5_000;
      await first.service.handle(citsEvent(cpm("rsu-9", i * 5_000), `rsu-${i}`));
    }
    await first.service.stop();
    await first.store.close();
    const before = await speeds(first.service, "car-1");
    expect(before).toEqual([0, 1, 2, 3, 4, 5].map((s) => [s * 1_000, s]));

    const second = open("mec-a");
    await second.service.start(60_000);
    expect(await speeds(second.service, "car-1")).toEqual(before);
    const rsu = await second.service.historyOf("rsu-9", 0, Number.POSITIVE_INFINITY);
    expect(rsu?.objects.map((record) => Date.parse(record.time) - T0)).toEqual([6_000, 16_000]);
    expect(rsu?.objects[0]?.objects).toEqual([
      { objectId: 1, lat: 40.6444, lon: -8.6454 },
      { objectId: 2, lat: 40.6446, lon: -8.6457, classification: "pedestrian" },
    ]);
    now = T0 + 7_000;
    await second.service.handle(citsEvent(cam("car-1", 7_000, { speed: 7 }), "a-after"));
    await second.service.drain();
    expect((await speeds(second.service, "car-1"))?.at(-1)).toEqual([7_000, 7]);

    // The manager reads the same history from Redis, without the twin service.
    const reader = new StoredHistories(second.store.historyStore(700_000), OPTIONS, () => now);
    const read = await reader.range("car-1", T0 + 2_000, T0 + 7_000);
    expect(read?.samples.map((s) => s.speed)).toEqual([2, 3, 4, 5, 7]);
    expect(await reader.range("nobody", 0, Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(await admin.pttl("vvcu:mec-a:history:car-1")).toBeGreaterThan(600_000);
    await second.service.stop();
    await second.store.close();
  });

  it("moves with the twin from one MEC's store to another's", async () => {
    await admin.flushdb();
    const source = open("mec-a");
    const target = open("mec-b");
    for (let i = 0; i < 5; i++) {
      now = T0 + i * 1_000;
      await source.service.handle(citsEvent(cam("car-2", i * 1_000, { speed: i }), `b-${i}`));
    }
    await target.service.expect("car-2");
    const snapshot = await source.service.snapshot("car-2");
    if (!snapshot) throw new Error("no snapshot");
    now = T0 + 5_000;
    await target.service.hydrate(snapshot);
    await source.service.release("car-2");
    now = T0 + 6_000;
    await target.service.handle(citsEvent(cam("car-2", 6_000, { speed: 6 }), "b-6"));
    await target.service.drain();
    await source.service.drain();
    expect(await admin.exists("vvcu:mec-a:history:car-2")).toBe(0);

    // A fresh reader of the target's Redis keys sees the whole history: the source's and its own.
    const restarted = open("mec-b");
    await restarted.service.start(60_000);
    expect(await speeds(restarted.service, "car-2")).toEqual([
      [0, 0],
      [1_000, 1],
      [2_000, 2],
      [3_000, 3],
      [4_000, 4],
      [6_000, 6],
    ]);
    for (const opened of [source, target, restarted]) {
      await opened.service.stop();
      await opened.store.close();
    }
  });
});
