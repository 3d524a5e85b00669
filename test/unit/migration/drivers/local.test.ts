/**
 * The engine with the local driver over two real TwinService hosts: the state leaves the
 * source's store and arrives in the target's through snapshot/hydrate, with the events that
 * keep arriving meanwhile applied exactly once.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { LocalDriver } from "../../../../functions/lib/migration/drivers/local.ts";
import { MigrationEngine } from "../../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../../functions/lib/migration/journal/journal.ts";
import type { MigrationRequest } from "../../../../functions/lib/model/migration.ts";
import { CollectingSink } from "../../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../../functions/lib/runtime/homeRegistry.ts";
import type { TwinHostApi } from "../../../../functions/lib/twin/remote/host.ts";
import { TwinService } from "../../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../../functions/lib/twin/store/memoryStore.ts";
import { citsEvent } from "../../twin/events.ts";
import { cam } from "../../twin/messages.ts";

const silent = pino({ level: "silent" });

function stack(options: { targetNeverReady?: boolean } = {}) {
  const homes = new HomeRegistry();
  const services = new Map(
    ["mec-a", "mec-b"].map((mec) => [
      mec,
      new TwinService({ mec, store: new MemoryTwinStore(), sink: new CollectingSink(), logger: silent }),
    ]),
  );
  const hosts = new Map<string, TwinHostApi>(services);
  if (options.targetNeverReady) {
    const target = services.get("mec-b") as TwinService;
    // The real host, except that it never reports ready (e.g. stuck hydrating).
    hosts.set("mec-b", Object.assign(Object.create(target) as TwinService, { isReady: async () => false }));
  }
  const driver = new LocalDriver({ hosts, homes });
  const engine = new MigrationEngine({
    mecs: ["mec-a", "mec-b"],
    driverFor: () => driver,
    homes,
    journal: new MemoryJournal(),
    sink: new CollectingSink(),
    readyTimeoutMs: 100,
    logger: silent,
  });
  let sequence = 0;
  /** The bridge: one CAM of station 42 to every MEC that receives it now. */
  const publish = async () => {
    sequence++;
    const event = citsEvent(cam("42", sequence * 100, { speed: sequence % 30 }), `ev-${sequence}`);
    await Promise.all(homes.receiversOf("42").map((mec) => (services.get(mec) as TwinService).handle(event)));
  };
  return { homes, services, engine, publish, published: () => sequence };
}

const request: MigrationRequest = {
  id: "m-1",
  twin: "42",
  from: "mec-a",
  to: "mec-b",
  trigger: "manual",
  reason: "manual",
  requestedAt: "2026-11-28T08:00:00.000Z",
};

describe("local driver with real twin hosts", () => {
  it("moves the twin's state to the target, losing and doubling no event sent meanwhile", async () => {
    const { homes, services, engine, publish, published } = stack();
    homes.setHome("42", "mec-a");
    for (let i = 0; i < 20; i++) await publish();

    const outcome = await engine.request(request);
    expect(outcome.kind).toBe("started");
    // Traffic keeps flowing during the migration.
    let done = false;
    const traffic = (async () => {
      while (!done) {
        await publish();
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const migration = await engine.settled("m-1");
    done = true;
    await traffic;
    for (let i = 0; i < 10; i++) await publish();
    const source = services.get("mec-a") as TwinService;
    const target = services.get("mec-b") as TwinService;
    await target.drain();

    expect(migration?.status).toBe("completed");
    expect(migration?.timeUntilReadyMs).toBeGreaterThan(0);
    expect(homes.homeOf("42")).toBe("mec-b");
    expect(homes.receiversOf("42")).toEqual(["mec-b"]);
    expect(await source.twin("42")).toBeUndefined();
    const moved = await target.twin("42");
    expect(moved?.mec).toBe("mec-b");
    expect(moved?.status).toBe("stable");
    expect(moved?.messages.cam).toBe(published());
    expect(published()).toBeGreaterThan(30);
  });

  it("rolls back when the target never gets ready: the twin stays at the source, stable and serving", async () => {
    const { homes, services, engine, publish } = stack({ targetNeverReady: true });
    homes.setHome("42", "mec-a");
    for (let i = 0; i < 5; i++) await publish();
    await engine.request(request);
    const migration = await engine.settled("m-1");
    expect(migration?.status).toBe("rolled-back");
    expect(migration?.error).toMatch(/timed out after 100 ms/);
    expect(homes.receiversOf("42")).toEqual(["mec-a"]);
    const source = services.get("mec-a") as TwinService;
    expect(await (services.get("mec-b") as TwinService).twin("42")).toBeUndefined();
    expect((await source.twin("42"))?.status).toBe("stable");
    // Still serving: new events are applied at the source.
    for (let i = 0; i < 3; i++) await publish();
    await source.drain();
    expect((await source.twin("42"))?.messages.cam).toBe(8);
  });

  it("fails the deployment clearly for a twin the source does not have, and rolls back", async () => {
    const { homes, engine } = stack();
    homes.setHome("42", "mec-a");
    await engine.request(request);
    const migration = await engine.settled("m-1");
    expect(migration?.status).toBe("rolled-back");
    expect(migration?.error).toBe("twin 42 has no state at mec-a to migrate");
    expect(homes.receiversOf("42")).toEqual(["mec-a"]);
  });
});
