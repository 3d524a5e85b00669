/**
 * `e2e`: the whole embedded stack (`vvcu start` as a child process, its Aedes broker, two MEC
 * hosts, control plane) under simulated traffic: N vehicles at 10 Hz driving across the MEC
 * border, published over MQTT from this process (worked out before each level: plannedLoad.ts).
 *
 * - Latency from MQTT publish to the twin's state being readable in the API, and to the twin's
 *   dashboard topic, measured on probe stations publishing alongside the load. Floor, same
 *   run and load: one MQTT hop through the same broker plus one API round trip (/health).
 * - Whether the stack keeps up with each load (received rate vs offered, backlog at the end),
 *   and the highest offered rate it sustained.
 * - Lost and double-counted CAMs of the twins that migrated during the run: each twin's CAM
 *   count in the API against the CAMs published for its station.
 * Aim (issue 6): 1,000 vehicles at 10 Hz sustained with p99 < 100 ms; zero lost or duplicated.
 * Then one level with the stack behind a real Mosquitto (MQTT_URL), reported on its own.
 */
import { performance } from "node:perf_hooks";
import type { MqttClient } from "mqtt";
import { Simulation } from "../../cli/sim/simulation.ts";
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { loadTopology, zoneIndexOf } from "../../functions/lib/topology.ts";
import { connect, getJson, type StackProcess, startStackProcess } from "../e2e/harness.ts";
import { backlog, floorProbe, type Latencies, maxPerMec, probe } from "../e2e/probes.ts";
import { type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { type ConsoleClient, connectConsoleClient, consoleClientWanted } from "./consoleClient.ts";
import {
  AIM_VEHICLES,
  jsonParseFloorUs,
  type LevelResult,
  levelFigures,
  RATE_HZ,
  sorted,
  stackNodeArgs,
  sustained,
} from "./e2eFigures.ts";
import { flushed, PlannedLoadDriver, planLoad, planningMs } from "./plannedLoad.ts";
import { shares, threadTimes } from "./schedstat.ts";
import { type BenchFigure, type Benchmark, percentile } from "./types.ts";

/** prom-client's process CPU counter, as the stack's registry names it (functions/lib/metrics.ts). */
const STACK_CPU_METRIC = "vvcu_process_process_cpu_seconds_total";
const PROBES = 4;
/** Station ids of the Mosquitto level start past the embedded levels' (level index x 100,000). */
const MOSQUITTO_LEVEL = 9;
interface Timing {
  /** Load before measuring: tsx compiles modules on first use and the JIT warms up. */
  warmUpS: number;
  measureS: number;
  /** Longest wait for the backlog to drain, and for running migrations to finish. */
  drainMs: number;
  migrationsMs: number;
}

const FULL: Timing = { warmUpS: 3, measureS: 15, drainMs: 30_000, migrationsMs: 20_000 };
const QUICK: Timing = { warmUpS: 1, measureS: 4, drainMs: 5_000, migrationsMs: 5_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * For working on the stack's speed: VVCU_BENCH_E2E_LEVELS=1000 (or 500,1000) runs only those levels
 * of the embedded stack; "mosquitto" in the list (VVCU_BENCH_E2E_LEVELS=mosquitto, or 1000,mosquitto)
 * adds the level through Mosquitto, which a chosen list otherwise leaves out.
 * VVCU_BENCH_E2E_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" starts the stack with those flags,
 * VVCU_BENCH_E2E_CONSOLE=1 keeps a console client on /api/v1/events through every level (compare with
 * a run without: what an open console costs the stack).
 */
interface ChosenLevels {
  embedded: number[];
  mosquitto: boolean;
}

function chosenLevels(): ChosenLevels | undefined {
  const text = process.env.VVCU_BENCH_E2E_LEVELS;
  if (text === undefined || text.trim() === "") return undefined;
  const parts = text.split(",").map((part) => part.trim());
  const embedded = parts.filter((part) => part !== "mosquitto").map(Number);
  if (embedded.some((vehicles) => !Number.isInteger(vehicles) || vehicles < 1 || vehicles > 5_000))
    throw new Error(
      `VVCU_BENCH_E2E_LEVELS: vehicles per level, 1 to 5000, and "mosquitto", comma-separated; got "${text}"`,
    );
  return { embedded, mosquitto: parts.includes("mosquitto") };
}

async function runLevel(
  stack: StackProcess,
  vehicles: number,
  timing: Timing,
  level: number,
): Promise<LevelResult> {
  const seconds = timing.measureS;
  const zones = zoneIndexOf(loadTopology());
  const firstStationId = (level + 1) * 100_000;
  const runMs = (timing.warmUpS + seconds) * 1000;
  // A second more than the run: the measuring may end a little after the plan's last tick.
  const plannedMs = runMs + 1_000;
  const startMs = Date.now() + planningMs((vehicles * RATE_HZ * plannedMs) / 1000);
  const simulation = new Simulation({
    vehicles,
    rateHz: RATE_HZ,
    startMs,
    seed: level + 1,
    firstStationId,
    cpmRateHz: 0,
    logIntervalS: 0,
    zoneOf: (p) => zones.containing(p.lat, p.lon)[0],
    // About a hundred vehicles reach a border during the run at every size: steady migrations.
    borderLeadS: [0.5, ((timing.warmUpS + seconds) * vehicles) / 100],
  });
  const plan = planLoad(simulation, startMs, startMs + plannedMs);
  const samplePayloads = plan.slice(0, 200).map((tick) => tick.firstPayload);
  // Read while no load runs (the level before has drained): what "drained" is counted from below.
  const receivedAtLevelStart = await maxPerMec(stack.apiUrl, "vvcu_bridge_messages_received_total");
  const load = await connect(stack.brokerUrl);
  const probeClients = await Promise.all(Array.from({ length: PROBES + 1 }, () => connect(stack.brokerUrl)));
  const driver = new PlannedLoadDriver(load, plan);
  const { published } = driver;
  await driver.drive(startMs + timing.warmUpS * 1000);
  const measuredFrom = Date.now();
  const until = measuredFrom + seconds * 1000;
  const publishedBefore = driver.publishedTotal;
  // The load runs on while the bench reads the stack's counters: a load generator that paused for
  // them would send the missed ticks in one burst when it went on, a burst no fleet of stations makes.
  const driving = driver.drive(until);
  const receivedBefore = await maxPerMec(stack.apiUrl, "vvcu_bridge_messages_received_total");
  const stackCpuBefore = await maxPerMec(stack.apiUrl, STACK_CPU_METRIC);
  const loadCpuBefore = process.cpuUsage();
  const mainThreadBefore = stack.pid === undefined ? undefined : await threadTimes(stack.pid);
  const latencies: Latencies = { api: [], dashboard: [], floor: [], apiMissed: 0 };
  const probes = probeClients
    .slice(0, PROBES)
    .map((client, i) => probe(stack, client, firstStationId + 90_000 + i, until, latencies));
  probes.push(floorProbe(stack, probeClients[PROBES] as MqttClient, until, latencies));
  await driving;
  const elapsedS = (Date.now() - measuredFrom) / 1000;
  const mainThreadAfter = stack.pid === undefined ? undefined : await threadTimes(stack.pid);
  const unsentAtStop = await flushed(load, 10_000);
  const receivedAtStop = await maxPerMec(stack.apiUrl, "vvcu_bridge_messages_received_total");
  const stackCpuS = (await maxPerMec(stack.apiUrl, STACK_CPU_METRIC)) - stackCpuBefore;
  const loadCpu = process.cpuUsage(loadCpuBefore);
  const loadCpuS = (loadCpu.user + loadCpu.system) / 1e6;
  const backlogAtStop = await backlog(stack.apiUrl);
  const stoppedAt = performance.now();
  await Promise.all(probes);
  // Drained: every message arrived at the bridges (probes included) and no queue holds anything.
  const probeMessages = latencies.api.length + latencies.apiMissed;
  const goal = receivedAtLevelStart + driver.publishedTotal + probeMessages;
  let drained = false;
  while (!drained && performance.now() - stoppedAt < timing.drainMs) {
    const received = await maxPerMec(stack.apiUrl, "vvcu_bridge_messages_received_total");
    drained = received >= goal && (await backlog(stack.apiUrl)) === 0;
    if (!drained) await sleep(100);
  }
  const drainedMs = performance.now() - stoppedAt;
  const ofThisLevel = async () =>
    (await getJson<Migration[]>(`${stack.apiUrl}/api/v1/migrations`)).body.filter((m) => {
      const id = Number(m.twin);
      return id >= firstStationId && id < firstStationId + vehicles;
    });
  // Vehicles that crossed at the end get their migrations; running ones finish before the counts.
  await sleep(2_000);
  let migrations = await ofThisLevel();
  for (
    let waited = 0;
    migrations.some((m) => m.status === "running") && waited < timing.migrationsMs;
    waited += 250
  ) {
    await sleep(250);
    migrations = await ofThisLevel();
  }
  await sleep(500); // the twins' last coalesced updates
  const migratedIds = [
    ...new Set(migrations.filter((m) => m.status === "completed").map((m) => Number(m.twin))),
  ];
  let lost = 0;
  let duplicated = 0;
  let publishedToMigrated = 0;
  for (let i = 0; drained && i < migratedIds.length; i += 20) {
    const batch = migratedIds.slice(i, i + 20);
    const twins = await Promise.all(batch.map((id) => getJson<Twin>(`${stack.apiUrl}/api/v1/twins/${id}`)));
    batch.forEach((id, j) => {
      const sent = published.get(id) ?? 0;
      const counted = twins[j]?.status === 200 ? (twins[j]?.body.messages.cam ?? 0) : 0;
      publishedToMigrated += sent;
      lost += Math.max(0, sent - counted);
      duplicated += Math.max(0, counted - sent);
      // A miscount is a bug to chase: say which twin, and how its migrations went.
      if (sent !== counted) {
        const history = migrations
          .filter((m) => Number(m.twin) === id)
          .map((m) => `${m.from}->${m.to} ${m.status} ${m.trigger} ready ${m.timeUntilReadyMs ?? "-"} ms`);
        console.error(
          `e2e: twin ${id} sent ${sent} CAMs, counted ${counted}; migrations: ${history.join("; ")}`,
        );
      }
    });
  }
  await Promise.all([load, ...probeClients].map((client) => client.endAsync(true)));
  return {
    vehicles,
    offeredPerS: (driver.publishedTotal - publishedBefore) / elapsedS,
    receivedPerS: (receivedAtStop - receivedBefore) / elapsedS,
    stackCpuUsPerMessage: (stackCpuS * 1e6) / Math.max(1, receivedAtStop - receivedBefore),
    loadCpuShare: loadCpuS / elapsedS,
    mainThread: shares(mainThreadBefore, mainThreadAfter, elapsedS * 1000),
    backlogAtStop,
    drainedMs,
    drained,
    unsentAtStop,
    latencies,
    migratedTwins: migratedIds.length,
    migrations: migrations.length,
    readyMs: migrations.flatMap((m) =>
      m.status === "completed" && m.timeUntilReadyMs !== undefined ? [m.timeUntilReadyMs] : [],
    ),
    publishedToMigrated,
    lost,
    duplicated,
    samplePayloads,
  };
}

export const benchmark: Benchmark = {
  id: "e2e",
  title: "End to end (embedded stack)",
  async run({ quick }) {
    const chosen = chosenLevels();
    const levels = chosen?.embedded ?? (quick ? [100] : [100, 500, 600, 700, 850, 1_000, AIM_VEHICLES]);
    const timing = quick ? QUICK : FULL;
    const figures = levels.length === 0 ? [] : await embeddedLevels(levels, timing);
    if (chosen === undefined || chosen.mosquitto)
      figures.push(...(await throughMosquitto(quick ? 100 : 1_000, timing)));
    else console.error("e2e: levels chosen by VVCU_BENCH_E2E_LEVELS; the MQTT_URL level is left out");
    return figures;
  },
};

/**
 * The levels on the stack's own broker, lightest first, each on a stack of its own: on one stack
 * for all, a level also carried the twins of the levels before it until they expired (60 s after
 * their last CAM), so the 2,000-vehicle level began with the 1,850 twins of the two levels before it.
 */
async function embeddedLevels(levels: number[], timing: Timing): Promise<BenchFigure[]> {
  const results: LevelResult[] = [];
  for (const [index, vehicles] of levels.entries()) {
    results.push(await onItsOwnStack({}, (stack) => runLevel(stack, vehicles, timing, index)));
  }
  const jsonParseUs = jsonParseFloorUs(results.flatMap((result) => result.samplePayloads));
  const figures = results.flatMap((result) => levelFigures(result, jsonParseUs));
  figures.push({
    name: "floor: JSON.parse of one CAM of the load (from its bytes), CPU time per message",
    value: jsonParseUs,
    unit: "µs",
    notes: "in the bench process on the same machine, the levels' own payloads",
  });
  const kept = results.filter(sustained);
  const best = kept.reduce((max, r) => Math.max(max, r.offeredPerS), 0);
  const highestAsked = Math.max(...results.map((r) => r.vehicles * RATE_HZ));
  figures.push({
    name: "highest rate sustained (offered >= 95% of asked, received >= 95% of offered, drained within 2 s)",
    value: best,
    unit: "msg/s",
    baseline: { name: "highest asked", value: highestAsked, unit: "msg/s" },
    aim: ">= 10,000 msg/s (1,000 vehicles at 10 Hz)",
    met: best >= 9_500,
  });
  const ready = sorted(results.flatMap((r) => r.readyMs));
  figures.push({
    name: `migration time until ready, p50 / p99 (local driver, ${ready.length} migrations under the load above)`,
    value: percentile(ready, 0.5),
    unit: "ms",
    baseline: { name: "p99", value: percentile(ready, 0.99), unit: "ms" },
  });
  // Counted only where the stack drained: a twin still catching up is late, not lossy.
  const counted = results.filter((r) => r.drained);
  const migrated = counted.reduce((sum, r) => sum + r.migratedTwins, 0);
  const migrations = counted.reduce((sum, r) => sum + r.migrations, 0);
  const sent = counted.reduce((sum, r) => sum + r.publishedToMigrated, 0);
  const lost = counted.reduce((sum, r) => sum + r.lost, 0);
  const duplicated = counted.reduce((sum, r) => sum + r.duplicated, 0);
  const levelsCounted = counted.map((r) => r.vehicles.toLocaleString("en-US")).join(", ") || "none";
  figures.push({
    name: `CAMs lost / counted twice, twins that migrated (${migrated} twins, ${migrations} migrations; levels ${levelsCounted})`,
    value: lost,
    unit: "lost",
    baseline: { name: "CAMs published to those twins", value: sent, unit: "CAMs" },
    aim: "0 lost, 0 duplicated",
    met: lost === 0 && duplicated === 0 && migrated > 0,
    notes: `${duplicated} counted twice`,
  });
  return figures;
}

/** Runs a level on a stack started for it (with `env`), and a console client on it when one is wanted. */
async function onItsOwnStack(
  env: Record<string, string>,
  level: (stack: StackProcess) => Promise<LevelResult>,
): Promise<LevelResult> {
  const stack = await startStackProcess({ LOG_LEVEL: "warn", ...env }, stackNodeArgs());
  let consoleClient: ConsoleClient | undefined;
  try {
    if (consoleClientWanted()) consoleClient = await connectConsoleClient(stack.apiUrl);
    return await level(stack);
  } finally {
    if (consoleClient !== undefined) {
      console.error(`e2e: console client read ${JSON.stringify(consoleClient.counts())} events`);
      await consoleClient.close();
    }
    await stack.stop();
  }
}

/**
 * The same load with MQTT_URL: the stack behind a real Mosquitto, each bridge with an MQTT 5
 * session of its own, as in a cluster. Left out, and said so, where Mosquitto is not installed.
 */
async function throughMosquitto(vehicles: number, timing: Timing): Promise<BenchFigure[]> {
  let mosquitto: RunningServer;
  try {
    mosquitto = await startMosquitto();
  } catch (error) {
    console.error(`e2e: no Mosquitto here (${(error as Error).message}); the MQTT_URL level is left out`);
    return [];
  }
  try {
    const result: LevelResult = {
      ...(await onItsOwnStack({ MQTT_URL: mosquitto.url }, (stack) =>
        runLevel(stack, vehicles, timing, MOSQUITTO_LEVEL),
      )),
      broker: "through Mosquitto",
    };
    return [
      ...levelFigures(result),
      {
        name: `CAMs lost / counted twice, twins that migrated (${vehicles.toLocaleString("en-US")} vehicles through Mosquitto: ${result.migratedTwins} twins)`,
        value: result.lost,
        unit: "lost",
        baseline: { name: "CAMs published to those twins", value: result.publishedToMigrated, unit: "CAMs" },
        aim: "0 lost, 0 duplicated",
        met: result.drained && result.lost === 0 && result.duplicated === 0 && result.migratedTwins > 0,
        notes: `${result.duplicated} counted twice`,
      },
    ];
  } finally {
    await mosquitto.dispose();
  }
}
