/**
 * `twin`: C-ITS events applied to twins per second on one core, through the whole TwinService
 * (validation, reducer, store, coalesced twin.updated), with the memory store and with a real
 * Redis (pipelined: concurrent events share one updateMany). Next to them, measured in the same
 * run: the decoder alone on the same CAM (what the bridge spends per message before the twin),
 * and Redis with one round trip per event (the naive store).
 * Aims (issue 4): memory >= 50,000 events/s; Redis pipelined >= 10,000 events/s.
 * And the neighbours of each twin.updated (issue 6): NeighbourIndex.near on the simulator's dense
 * Aveiro traffic against a scan of every twin of the MEC (measured and sorted, as without an index).
 */
import { readFileSync } from "node:fs";
import type { CloudEventV1 } from "cloudevents";
import { Redis } from "ioredis";
import { Simulation } from "../../cli/sim/simulation.ts";
import { decode } from "../../functions/lib/cits/decode.ts";
import type { CamMessage } from "../../functions/lib/cits/types.ts";
import { citsEventType } from "../../functions/lib/events.ts";
import { distanceM } from "../../functions/lib/geo/sphere.ts";
import type { EventSink } from "../../functions/lib/runtime/emit/sink.ts";
import { loadTopology, zoneIndexOf } from "../../functions/lib/topology.ts";
import { NeighbourIndex } from "../../functions/lib/twin/neighbours.ts";
import { TwinService } from "../../functions/lib/twin/service.ts";
import { DEFAULT_TWIN_OPTIONS } from "../../functions/lib/twin/state/options.ts";
import { MemoryTwinStore } from "../../functions/lib/twin/store/memoryStore.ts";
import { RedisTwinStore } from "../../functions/lib/twin/store/redisStore.ts";
import type { TwinStore } from "../../functions/lib/twin/store/store.ts";
import { startRedis } from "../helpers/servers.ts";
import { type BenchFigure, type Benchmark, SAMPLE_CAM_FIXTURE } from "./types.ts";

const fixture = SAMPLE_CAM_FIXTURE;
const STATIONS = 1_000;
const CONCURRENT = 1_000;

class CountingSink implements EventSink {
  count = 0;
  async emit(): Promise<void> {
    this.count++;
  }
}

/** Event number i: station i mod STATIONS, one CAM every 100 ms, moving a little north with each. */
function eventMaker(base: CamMessage, run: string): (i: number) => CloudEventV1<unknown> {
  const lat = base.position?.lat ?? 40.64;
  const lon = base.position?.lon ?? -8.65;
  return (i) => {
    const round = Math.floor(i / STATIONS);
    const station = i % STATIONS;
    const message: CamMessage = {
      ...base,
      stationId: String(100_000 + station),
      sequence: base.sequence + round * 100,
      timeMs: base.timeMs + round * 100,
      // a 32 x 32 grid about 230 m apart (a dense town: a few neighbours each), driving north
      position: {
        lat: lat + Math.floor(station / 32) * 0.002 + round * 1e-5,
        lon: lon + (station % 32) * 0.003,
      },
    };
    return {
      id: `${run}-${i}`,
      type: citsEventType("cam"),
      source: "/vvcu/bench/bridge",
      specversion: "1.0",
      data: message,
    };
  };
}

const cpuSeconds = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/**
 * Events per CPU-second (this process, plus `extraCpuSeconds` for a server doing part of the
 * work) and per wall-clock second through service.handle, CONCURRENT at a time, for about
 * durationMs. CPU time keeps the figure honest on a shared, loaded machine.
 */
async function eventsPerSecond(
  store: TwinStore,
  base: CamMessage,
  run: string,
  durationMs: number,
  extraCpuSeconds: () => Promise<number> = async () => 0,
  warmUpMs = durationMs / 2,
) {
  const sink = new CountingSink();
  const service = new TwinService({ mec: "bench", store, sink });
  const make = eventMaker(base, run);
  const handleChunk = async (from: number) => {
    const handled: Promise<unknown>[] = [];
    for (let i = from; i < from + CONCURRENT; i++) handled.push(service.handle(make(i)));
    await Promise.all(handled);
  };
  let next = 0;
  // Creates the twins and lets the JIT compile the hot path: at least 5 chunks and warmUpMs, as
  // a function instance serves for long; the first few thousand events measure the compiler.
  const warmUpUntil = Date.now() + warmUpMs;
  for (let chunk = 0; chunk < 5 || Date.now() < warmUpUntil; chunk++) {
    await handleChunk(next);
    next += CONCURRENT;
  }
  const startCpu = cpuSeconds() + (await extraCpuSeconds());
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let applied = 0;
  while (process.hrtime.bigint() < deadline) {
    await handleChunk(next);
    next += CONCURRENT;
    applied += CONCURRENT;
  }
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const usedCpu = cpuSeconds() + (await extraCpuSeconds()) - startCpu;
  await service.stop();
  const twins = await store.list();
  if (twins.length !== STATIONS)
    throw new Error(`expected ${STATIONS} twins after the run, found ${twins.length}`);
  const counted = twins.reduce((sum, twin) => sum + twin.messages.cam, 0);
  if (counted !== next) throw new Error(`the twins counted ${counted} CAMs of ${next} handled`);
  return { perCpuSecond: applied / usedCpu, perWallSecond: applied / wallSeconds, updatesSent: sink.count };
}

/** One store.update per event, awaited in turn: one Redis round trip each (per CPU-second, both processes). */
async function naiveRedisRate(
  store: TwinStore,
  base: CamMessage,
  durationMs: number,
  extraCpuSeconds: () => Promise<number>,
): Promise<number> {
  const make = eventMaker(base, "naive");
  const startCpu = cpuSeconds() + (await extraCpuSeconds());
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < durationMs) {
    const message = make(i++).data as CamMessage;
    await store.update(message.stationId, (current) =>
      current ? { ...current, twin: { ...current.twin, sequence: message.sequence } } : current,
    );
  }
  return i / (cpuSeconds() + (await extraCpuSeconds()) - startCpu);
}

/** CPU seconds redis-server has used so far (INFO cpu). */
function redisCpuSeconds(client: Redis): () => Promise<number> {
  return async () => {
    const info = await client.info("cpu");
    const field = (name: string) => Number(new RegExp(`\\b${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
    return field("used_cpu_user") + field("used_cpu_sys");
  };
}

export const benchmark: Benchmark = {
  id: "twin",
  title: "Twin updates",
  async run({ quick }) {
    const payload = readFileSync(fixture);
    const decoded = decode("vanetza/out/cam", payload, 0);
    if (!decoded.ok || decoded.message.type !== "cam") throw new Error("the benchmark CAM does not decode");
    const base = decoded.message;
    const durationMs = quick ? 400 : 2_000;

    const decodeRate = cpuRate(() => decode("vanetza/out/cam", payload, 0), quick ? 5_000 : 20_000);
    const memory = await eventsPerSecond(new MemoryTwinStore(), base, "memory", durationMs);
    const figures: BenchFigure[] = [
      neighboursFigure(quick),
      {
        name: `CAM events applied through TwinService, memory store, ${STATIONS} twins, per CPU-second of one core`,
        value: memory.perCpuSecond,
        unit: "events/s",
        baseline: { name: "decoder alone, same CAM (bridge side)", value: decodeRate, unit: "msg/s" },
        aim: ">= 50,000 events/s",
        met: memory.perCpuSecond >= 50_000,
        notes: `wall clock: ${Math.round(memory.perWallSecond)} events/s; twin.updated sent (coalesced): ${memory.updatesSent}`,
      },
    ];

    let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      redis = await startRedis();
    } catch (error) {
      figures.push({
        name: "CAM events applied through TwinService, Redis store, pipelined",
        value: Number.NaN,
        unit: "events/s",
        aim: ">= 10,000 events/s",
        notes: `not measured: ${(error as Error).message.split("\n")[0]}`,
      });
      return figures;
    }
    const admin = new Redis(redis.url, { commandTimeout: 5_000 });
    try {
      const redisCpu = redisCpuSeconds(admin);
      const store = new RedisTwinStore({ url: redis.url, mec: "bench" });
      const pipelined = await eventsPerSecond(store, base, "redis", durationMs, redisCpu);
      const naive = await naiveRedisRate(store, base, quick ? 200 : 1_000, redisCpu);
      await store.close();
      figures.push({
        name: `CAM events applied through TwinService, Redis store (local redis-server), pipelined, ${STATIONS} twins, per CPU-second (node + redis)`,
        value: pipelined.perCpuSecond,
        unit: "events/s",
        baseline: { name: "one Redis round trip per update (naive)", value: naive, unit: "updates/s" },
        aim: ">= 10,000 events/s",
        met: pipelined.perCpuSecond >= 10_000,
        notes: `wall clock: ${Math.round(pipelined.perWallSecond)} events/s; ${CONCURRENT} events in flight share one batch: no read of twins this process wrote last, check-and-set of ${CONCURRENT} twins in 4 script calls`,
      });
    } finally {
      await admin.quit();
      await redis.dispose();
    }
    return figures;
  },
};

/** Operations per CPU-second of fn, over `count` calls after a warm-up. */
function cpuRate(fn: () => void, count: number): number {
  for (let i = 0; i < 1_000; i++) fn();
  const start = cpuSeconds();
  for (let i = 0; i < count; i++) fn();
  return count / (cpuSeconds() - start);
}

/**
 * near() per CPU-second for every twin in turn, 1,000 simulated vehicles as `vvcu sim` starts
 * them (a few hundred metres before a zone border, so hundreds within the radius), one index per
 * MEC as the twin function keeps it; next to a scan of all the MEC's twins.
 */
function neighboursFigure(quick: boolean): BenchFigure {
  const zones = zoneIndexOf(loadTopology());
  const zoneOf = (p: { lat: number; lon: number }) => zones.containing(p.lat, p.lon)[0];
  const vehicles = new Simulation({ vehicles: 1_000, rateHz: 10, startMs: 0, zoneOf }).vehicles();
  const { neighbourRadiusM: radiusM, maxNeighbours } = DEFAULT_TWIN_OPTIONS;
  const byMec = new Map<string, typeof vehicles>();
  for (const vehicle of vehicles) {
    const mec = zoneOf(vehicle.position) ?? "none";
    byMec.set(mec, [...(byMec.get(mec) ?? []), vehicle]);
  }
  type Vehicle = (typeof vehicles)[number];
  const calls = [...byMec.values()].flatMap((mec) => mec.map((vehicle) => [mec, vehicle.stationId] as const));
  const rate = (near: (mec: Vehicle[], id: number) => unknown) => {
    let next = 0;
    return cpuRate(
      () => {
        const [mec, id] = calls[next++ % calls.length] as (typeof calls)[number];
        near(mec, id);
      },
      quick ? 20_000 : 100_000,
    );
  };
  const indexes = new Map<Vehicle[], NeighbourIndex>();
  const uncapped = new Map<Vehicle[], NeighbourIndex>();
  for (const mec of byMec.values()) {
    const index = new NeighbourIndex(radiusM, maxNeighbours);
    const all = new NeighbourIndex(radiusM);
    for (const v of mec) {
      const position = { lat: v.position.lat, lon: v.position.lon, speed: v.speed };
      index.upsert(String(v.stationId), position);
      all.upsert(String(v.stationId), position);
    }
    indexes.set(mec, index);
    uncapped.set(mec, all);
  }
  let withinRadius = 0;
  const indexed = rate((mec, id) => indexes.get(mec)?.near(String(id)));
  const everyone = rate((mec, id) => {
    withinRadius = Math.max(withinRadius, uncapped.get(mec)?.near(String(id)).length ?? 0);
  });
  const naive = rate((mec, id) => {
    const self = mec.find((v) => v.stationId === id) as Vehicle;
    return mec
      .map((other) => ({ id: other.stationId, distanceM: distanceM(self.position, other.position) }))
      .filter((other) => other.id !== id && other.distanceM <= radiusM)
      .sort((a, b) => a.distanceM - b.distanceM).length;
  });
  return {
    name: `neighbours of a twin (nearest ${maxNeighbours} within ${radiusM} m), 1000 simulated vehicles in Aveiro, per CPU-second`,
    value: indexed,
    unit: "lookups/s",
    baseline: { name: "scan of every twin of the MEC, measured and sorted", value: naive, unit: "lookups/s" },
    aim: ">= 20,000 lookups/s (10x the 2,000 twin.updated/s of 1,000 vehicles on the embedded stack)",
    met: indexed >= 20_000,
    notes: `the same index listing every twin within the radius (up to ${withinRadius}): ${Math.round(everyone)} lookups/s`,
  };
}
