/**
 * Migrations with the local driver between two real TwinService hosts while 1,000 other twins
 * receive traffic: migrations per second, time until ready and done (p50/p99), and every event
 * sent to a migrating twin counted against what its new home applied (zero lost, zero twice).
 * The floor is the state transfer alone (snapshot, expect, hydrate) measured under the same load.
 */
import { performance } from "node:perf_hooks";
import type { CloudEventV1 } from "cloudevents";
import { pino } from "pino";
import type { CamMessage } from "../../functions/lib/cits/types.ts";
import { citsEventType, eventSource } from "../../functions/lib/events.ts";
import { LocalDriver } from "../../functions/lib/migration/drivers/local.ts";
import { MigrationEngine } from "../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../functions/lib/migration/journal/journal.ts";
import type { TwinSnapshot } from "../../functions/lib/model/twin.ts";
import type { EventSink } from "../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { TwinHostApi } from "../../functions/lib/twin/remote/host.ts";
import { TwinService } from "../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../functions/lib/twin/store/memoryStore.ts";
import { type Benchmark, percentile } from "./types.ts";

const OTHER_TWINS = 1_000;
/** Background traffic: events per 10 ms tick to random other twins (10,000 events/s). */
const EVENTS_PER_TICK = 100;
const CONCURRENCY = 4;
const AIM_READY_P99_MS = 50;

const silent = pino({ level: "silent" });
const nowhere: EventSink = { emit: async () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Traffic {
  readonly published = new Map<string, number>();
  private eventCount = 0;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly homes: HomeRegistry,
    private readonly hosts: Map<string, TwinService>,
  ) {}

  /** One CAM of the station to every MEC receiving it now, as the bridge does. */
  publish(station: string): void {
    const sequence = (this.published.get(station) ?? 0) + 1;
    this.published.set(station, sequence);
    const timeMs = 1_790_000_000_000 + sequence * 100;
    const message: CamMessage = {
      type: "cam",
      stationId: station,
      stationType: "passengerCar",
      timeMs,
      sequence: timeMs,
      origin: { topic: "vanetza/out/cam", dialect: "vanetza-out", units: "transformed" },
      position: { lat: 40.64 + (sequence % 100) * 1e-5, lon: -8.65 },
      speed: 12,
      heading: 90,
    };
    const event: CloudEventV1<unknown> = {
      id: `${station}-${sequence}`,
      specversion: "1.0",
      type: citsEventType("cam"),
      source: eventSource("bench", "bridge"),
      subject: station,
      data: message,
    };
    this.eventCount++;
    for (const mec of this.homes.receiversOf(station)) {
      const delivery = (this.hosts.get(mec) as TwinService).handle(event);
      this.pending.add(delivery);
      delivery.finally(() => this.pending.delete(delivery));
    }
  }

  get count(): number {
    return this.eventCount;
  }

  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

export const benchmark: Benchmark = {
  id: "migration",
  title: "Migration, local driver (1,000 other twins under traffic)",
  async run({ quick }) {
    const migrationCount = quick ? 40 : 200;
    const homes = new HomeRegistry();
    const hosts = new Map(
      ["mec-a", "mec-b"].map((mec) => [
        mec,
        new TwinService({ mec, store: new MemoryTwinStore(), sink: nowhere, logger: silent }),
      ]),
    );
    const engine = new MigrationEngine({
      mecs: [...hosts.keys()],
      driverFor: () => driver,
      homes,
      journal: new MemoryJournal(),
      sink: nowhere,
      logger: silent,
    });
    const traffic = new Traffic(homes, hosts);
    // Events at every phase of the protocol, deterministically: after the target subscribed and
    // before the cut (settle), and while the target hydrates (before and after the snapshot lands).
    const target = hosts.get("mec-b") as TwinService;
    const burst = (twin: string) => {
      for (let k = 0; k < 2; k++) traffic.publish(twin);
    };
    const hydratingTarget: TwinHostApi = Object.assign(Object.create(target) as TwinService, {
      hydrate: async (snapshot: TwinSnapshot) => {
        burst(snapshot.twin.id);
        await target.hydrate(snapshot);
        burst(snapshot.twin.id);
      },
    });
    const driver = new LocalDriver({
      hosts: new Map<string, TwinHostApi>([
        ["mec-a", hosts.get("mec-a") as TwinService],
        ["mec-b", hydratingTarget],
      ]),
      homes,
      pollIntervalMs: 1,
      settle: async (twin) => burst(twin),
    });

    const others = Array.from({ length: OTHER_TWINS }, (_, i) => `other-${i}`);
    const movers = Array.from({ length: migrationCount }, (_, i) => `mover-${i}`);
    const floorTwins = Array.from({ length: 30 }, (_, i) => `floor-${i}`);
    for (const [i, twin] of others.entries()) homes.setHome(twin, i % 2 === 0 ? "mec-a" : "mec-b");
    for (const twin of [...movers, ...floorTwins]) homes.setHome(twin, "mec-a");
    for (const twin of [...others, ...movers, ...floorTwins])
      for (let k = 0; k < 3; k++) traffic.publish(twin);
    await traffic.settle();

    let running = true;
    const background = (async () => {
      let tick = 0;
      while (running) {
        for (let k = 0; k < EVENTS_PER_TICK; k++)
          traffic.publish(others[(tick * 7919 + k * 104_729) % OTHER_TWINS] as string);
        tick++;
        await sleep(10);
      }
    })();
    await sleep(50);

    // The floor: the state transfer alone, under the same load.
    const source = hosts.get("mec-a") as TwinService;
    const floorMs: number[] = [];
    for (const twin of floorTwins) {
      const start = performance.now();
      const snapshot = await source.snapshot(twin);
      await target.expect(twin);
      if (snapshot) await target.hydrate(snapshot);
      floorMs.push(performance.now() - start);
      await target.release(twin);
    }

    const publishedBefore = traffic.count;
    const started = performance.now();
    const queue = [...movers];
    const worker = async () => {
      for (let twin = queue.shift(); twin !== undefined; twin = queue.shift()) {
        // The migrating station keeps sending, every millisecond (100x a 10 Hz CAM rate), until its twin has moved.
        let moved = false;
        const station = twin;
        const sending = (async () => {
          while (!moved) {
            traffic.publish(station);
            await sleep(1);
          }
        })();
        await engine.request({
          id: `bench-${twin}`,
          twin,
          from: "mec-a",
          to: "mec-b",
          trigger: "manual",
          reason: "manual",
          requestedAt: new Date().toISOString(),
        });
        burst(twin);
        await engine.settled(`bench-${twin}`);
        moved = true;
        await sending;
        // A few more after the switch, to the new home only.
        for (let k = 0; k < 3; k++) traffic.publish(twin);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const wallSeconds = (performance.now() - started) / 1000;
    const eventsDuring = traffic.count - publishedBefore;
    running = false;
    await background;
    await traffic.settle();
    await Promise.all([...hosts.values()].map((host) => host.drain()));

    const results = engine.list();
    const completed = results.filter((migration) => migration.status === "completed");
    const ready = completed.map((m) => m.timeUntilReadyMs as number).sort((a, b) => a - b);
    const done = completed.map((m) => m.timeUntilDoneMs as number).sort((a, b) => a - b);
    floorMs.sort((a, b) => a - b);

    let lost = 0;
    let twice = 0;
    let sentToMovers = 0;
    for (const twin of movers) {
      const applied = (await target.twin(twin))?.messages.cam ?? 0;
      const sent = traffic.published.get(twin) ?? 0;
      sentToMovers += sent;
      lost += Math.max(0, sent - applied);
      twice += Math.max(0, applied - sent);
    }
    let misplaced = 0;
    for (const twin of movers) {
      const oneHome = homes.receiversOf(twin).join() === "mec-b" && (await source.twin(twin)) === undefined;
      if (!oneHome) misplaced++;
    }
    let otherLost = 0;
    for (const twin of others) {
      const host = hosts.get(homes.homeOf(twin) as string) as TwinService;
      otherLost += Math.abs(
        (traffic.published.get(twin) ?? 0) - ((await host.twin(twin))?.messages.cam ?? 0),
      );
    }
    await Promise.all([...hosts.values()].map((host) => host.stop()));

    const p = (values: number[], fraction: number) => percentile(values, fraction);
    const failedNote = `${completed.length}/${migrationCount} completed`;
    return [
      {
        name: "time until ready, p99",
        value: p(ready, 0.99),
        unit: "ms",
        baseline: {
          name: "state transfer alone (snapshot+hydrate), p99",
          value: p(floorMs, 0.99),
          unit: "ms",
        },
        aim: `< ${AIM_READY_P99_MS} ms`,
        met: completed.length === migrationCount && p(ready, 0.99) < AIM_READY_P99_MS,
        notes: `${failedNote}; ${CONCURRENCY} at a time; earlier system: 32.9 s`,
      },
      {
        name: "time until ready, p50",
        value: p(ready, 0.5),
        unit: "ms",
        baseline: { name: "state transfer alone, p50", value: p(floorMs, 0.5), unit: "ms" },
      },
      {
        name: "time until done, p50 / p99",
        value: p(done, 0.5),
        unit: "ms",
        baseline: { name: "state transfer alone, p50", value: p(floorMs, 0.5), unit: "ms" },
        notes: `p99 ${p(done, 0.99).toFixed(1)} ms; earlier system: 49.4 s`,
      },
      {
        name: "migrations per second",
        value: completed.length / wallSeconds,
        unit: "migrations/s",
        notes: `${CONCURRENCY} concurrent, ${eventsDuring.toLocaleString("en-US")} events published meanwhile (${Math.round(eventsDuring / wallSeconds).toLocaleString("en-US")}/s)`,
      },
      {
        name: "events lost or applied twice across the migrations",
        value: lost + twice,
        unit: "events",
        baseline: { name: "events sent to the migrating twins", value: sentToMovers, unit: "events" },
        aim: "0 lost, 0 twice, one home each",
        met: lost === 0 && twice === 0 && misplaced === 0 && otherLost === 0,
        notes: `lost ${lost}, twice ${twice}, twins not at exactly their new home ${misplaced}, other twins' events off by ${otherLost}`,
      },
    ];
  },
};
