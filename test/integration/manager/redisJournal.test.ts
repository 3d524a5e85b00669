/** The Redis journal against a real redis-server: an engine restarted on it recovers as from the file. */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { RedisJournal } from "../../../functions/lib/migration/journal/redisJournal.ts";
import type { MigrationRequest } from "../../../functions/lib/model/migration.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { type RunningServer, startRedis } from "../../helpers/servers.ts";
import { FakeDriver } from "../../unit/migration/fakeDriver.ts";

const silent = pino({ level: "silent" });
let redis: RunningServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});

const request = (id: string, twin: string): MigrationRequest => ({
  id,
  twin,
  from: "mec-a",
  to: "mec-b",
  trigger: "geofence",
  reason: "entered-zone",
  requestedAt: "2026-11-28T07:00:00.000Z",
});

describe("RedisJournal", () => {
  it("keeps the latest entry per migration in order, and a restarted engine rolls back or finishes", async () => {
    const prefix = `test:${Date.now()}`;
    const homes = new HomeRegistry();
    const present = new Map<string, Set<string>>();
    const stuck = new FakeDriver("fake", { neverReady: true }, present);
    for (const twin of ["1", "2"]) {
      homes.setHome(twin, "mec-a");
      stuck.at("mec-a").add(twin);
    }
    const journal = new RedisJournal({ url: redis.url, prefix });
    const crashed = new MigrationEngine({
      mecs: ["mec-a", "mec-b"],
      driverFor: () => stuck,
      homes,
      journal,
      sink: new CollectingSink(),
      logger: silent,
    });
    await crashed.request(request("m-1", "1"));
    await crashed.request(request("m-2", "2"));
    while (crashed.get("m-2")?.step !== "placed") await new Promise((resolve) => setTimeout(resolve, 2));

    const loaded = await new RedisJournal({ url: redis.url, prefix }).load();
    expect(loaded.map((entry) => [entry.migration.id, entry.migration.step])).toEqual([
      ["m-1", "placed"],
      ["m-2", "placed"],
    ]);

    const restartedJournal = new RedisJournal({ url: redis.url, prefix });
    const restarted = new MigrationEngine({
      mecs: ["mec-a", "mec-b"],
      driverFor: () => new FakeDriver("fake", {}, present),
      homes,
      journal: restartedJournal,
      sink: new CollectingSink(),
      logger: silent,
    });
    expect(await restarted.recover()).toEqual({ rolledBack: 2, finished: 0 });
    for (const twin of ["1", "2"]) {
      expect(homes.receiversOf(twin)).toEqual(["mec-a"]);
      expect(present.get("mec-b")?.has(twin)).toBe(false);
    }
    const after = await new RedisJournal({ url: redis.url, prefix }).load();
    expect(after.map((entry) => entry.migration.status)).toEqual(["rolled-back", "rolled-back"]);
    await Promise.all([journal.close(), restartedJournal.close()]);
  });

  it("bounds the finished migrations it keeps", async () => {
    const prefix = `bound:${Date.now()}`;
    const journal = new RedisJournal({ url: redis.url, prefix, keepFinished: 2 });
    for (let i = 1; i <= 4; i++) {
      await journal.append({
        migration: {
          ...request(`m-${i}`, String(i)),
          status: "completed",
          step: "done",
          driver: "local",
        },
      });
    }
    expect((await journal.load()).map((entry) => entry.migration.id)).toEqual(["m-3", "m-4"]);
    expect((await journal.load()).map((entry) => entry.migration.id)).toEqual(["m-3", "m-4"]);
    await journal.close();
  });
});
