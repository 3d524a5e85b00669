/**
 * Twin and migration state reshaped for Grafana's MQTT data source: flat JSON objects (or arrays
 * of them), numbers as JSON numbers, speeds in km/h, positions in degrees. Pure functions.
 * A value the twin does not have is null, never 0, so a gauge shows "no data" rather than a lie.
 */
import { MESSAGE_TYPES, type MessageType } from "../cits/types.ts";
import type { Migration } from "../model/migration.ts";
import type { Twin } from "../model/twin.ts";

const KMH_PER_MS = 3.6;

export const toKmh = (metresPerSecond: number): number => metresPerSecond * KMH_PER_MS;

/** Rounds for display: dashboards need no more than millimetre or 0.001 km/h precision. */
const round3 = (value: number): number => Math.round(value * 1000) / 1000;

export interface DashboardTwin {
  id: string;
  stationType: string;
  mec: string;
  status: string;
  liveness: string;
  lat: number | null;
  lon: number | null;
  speedKmh: number | null;
  heading: number | null;
  averageSpeedKmh: number;
  maxSpeedKmh: number;
  distanceKm: number;
  objects: number;
  hazards: number;
  neighbours: number;
  messages: number;
  messagesPerS: number;
  /** Network flow (bits per second) and signal quality, from the station's LOGS/network and LOGS/access. */
  throughputBps: number | null;
  rssiDbm: number | null;
  rsrpDbm: number | null;
  rsrqDb: number | null;
  sinrDb: number | null;
  lastSeen: string;
}

export function dashboardTwin(twin: Twin): DashboardTwin {
  return {
    id: twin.id,
    stationType: twin.stationType,
    mec: twin.mec,
    status: twin.status,
    liveness: twin.liveness,
    lat: twin.position?.lat ?? null,
    lon: twin.position?.lon ?? null,
    speedKmh: twin.speed === undefined ? null : round3(toKmh(twin.speed)),
    heading: twin.heading ?? null,
    averageSpeedKmh: round3(toKmh(twin.averageSpeed)),
    maxSpeedKmh: round3(toKmh(twin.maxSpeed)),
    distanceKm: round3(twin.distanceM / 1000),
    objects: twin.perceivedObjects.length,
    hazards: twin.hazards.length,
    neighbours: twin.neighbours.length,
    messages: MESSAGE_TYPES.reduce((sum, type) => sum + twin.messages[type], 0),
    messagesPerS: round3(Object.values(twin.messageRates).reduce((sum, rate) => sum + rate, 0)),
    throughputBps: twin.network.throughputBps ?? null,
    rssiDbm: twin.network.rssiDbm ?? null,
    rsrpDbm: twin.network.rsrpDbm ?? null,
    rsrqDb: twin.network.rsrqDb ?? null,
    sinrDb: twin.network.sinrDb ?? null,
    lastSeen: twin.lastSeen,
  };
}

/** The objects a twin perceives, as map points. */
export function dashboardObjects(
  twin: Twin,
): { twin: string; lat: number; lon: number; speedKmh: number | null }[] {
  return twin.perceivedObjects.map((object) => ({
    twin: twin.id,
    lat: object.lat,
    lon: object.lon,
    speedKmh: object.speed === undefined ? null : round3(toKmh(object.speed)),
  }));
}

export interface MigrationTotals {
  completed: number;
  failed: number;
  rolledBack: number;
  running: number;
}

/** Twins and the sum of their speeds (km/h), for an average that is null when no twin has a speed. */
interface SpeedTally {
  twins: number;
  withSpeed: number;
  speedSumKmh: number;
}

interface MecTally extends SpeedTally {
  ids: string[];
}

/**
 * What the system figures and the MEC table sum, gathered in one pass over the twins: they are
 * published every second from the main thread, where a pass per MEC and per message type made a
 * long task at thousands of twins. Each sum adds in the twins' order: floating-point sums in
 * another order could round to different figures.
 */
export interface TwinCensus extends SpeedTally {
  migrating: number;
  stale: number;
  perceivedObjects: number;
  hazards: number;
  ratePerType: Record<MessageType, number>;
  byMec: Map<string, MecTally>;
}

export function twinCensus(twins: Iterable<Twin>): TwinCensus {
  const byMec = new Map<string, MecTally>();
  // Locals and an array, not the census object's fields: updating those in the loop made the
  // pass about four times slower at 2,000 twins.
  let count = 0;
  let withSpeed = 0;
  let speedSumKmh = 0;
  let migrating = 0;
  let stale = 0;
  let perceivedObjects = 0;
  let hazards = 0;
  const rates = MESSAGE_TYPES.map(() => 0);
  for (const twin of twins) {
    let mec = byMec.get(twin.mec);
    if (mec === undefined) {
      mec = { twins: 0, withSpeed: 0, speedSumKmh: 0, ids: [] };
      byMec.set(twin.mec, mec);
    }
    count++;
    mec.twins++;
    mec.ids.push(twin.id);
    if (twin.speed !== undefined) {
      const speedKmh = toKmh(twin.speed);
      withSpeed++;
      speedSumKmh += speedKmh;
      mec.withSpeed++;
      mec.speedSumKmh += speedKmh;
    }
    if (twin.status === "migrating") migrating++;
    if (twin.liveness === "stale") stale++;
    perceivedObjects += twin.perceivedObjects.length;
    hazards += twin.hazards.length;
    for (let index = 0; index < MESSAGE_TYPES.length; index++) {
      rates[index] = (rates[index] as number) + (twin.messageRates[MESSAGE_TYPES[index] as MessageType] ?? 0);
    }
  }
  const ratePerType = Object.fromEntries(MESSAGE_TYPES.map((type, index) => [type, rates[index]]));
  return {
    twins: count,
    withSpeed,
    speedSumKmh,
    migrating,
    stale,
    perceivedObjects,
    hazards,
    ratePerType: ratePerType as Record<MessageType, number>,
    byMec,
  };
}

const averageSpeedKmh = (tally: SpeedTally | undefined): number | null =>
  tally === undefined || tally.withSpeed === 0 ? null : round3(tally.speedSumKmh / tally.withSpeed);

/**
 * The system figures, one flat object: twins and average speed overall and per MEC
 * (`twins_<mec>`, `averageSpeedKmh_<mec>`), message rates overall and per type, perceived
 * objects, hazards and migration counters. `mecs` lists every MEC to show, even with no twins.
 */
export function systemFigures(
  census: TwinCensus,
  mecs: string[],
  migrations: MigrationTotals,
  nowMs: number,
): Record<string, number | string | null> {
  const figures: Record<string, number | string | null> = {
    twins: census.twins,
    twinsMigrating: census.migrating,
    twinsStale: census.stale,
    averageSpeedKmh: averageSpeedKmh(census),
    perceivedObjects: census.perceivedObjects,
    hazards: census.hazards,
    messagesPerS: 0,
  };
  let total = 0;
  for (const type of MESSAGE_TYPES) {
    const rate = census.ratePerType[type];
    figures[`${type}PerS`] = round3(rate);
    total += rate;
  }
  figures.messagesPerS = round3(total);
  figures.migrationsCompleted = migrations.completed;
  figures.migrationsFailed = migrations.failed;
  figures.migrationsRolledBack = migrations.rolledBack;
  figures.migrationsRunning = migrations.running;
  for (const mec of mecs) {
    const hosted = census.byMec.get(mec);
    figures[`twins_${mec}`] = hosted?.twins ?? 0;
    figures[`averageSpeedKmh_${mec}`] = averageSpeedKmh(hosted);
  }
  figures.updatedAt = new Date(nowMs).toISOString();
  return figures;
}

/** The membership table: one row per MEC with its twins (as the earlier dashboards showed per VIM). */
export function mecRows(
  census: TwinCensus,
  mecs: string[],
): { mec: string; twins: number; ids: string; averageSpeedKmh: number | null }[] {
  return mecs.map((mec) => {
    const hosted = census.byMec.get(mec);
    return {
      mec,
      twins: hosted?.twins ?? 0,
      ids: hosted === undefined ? "" : hosted.ids.toSorted().join(", "),
      averageSpeedKmh: averageSpeedKmh(hosted),
    };
  });
}

export interface DashboardMigration {
  twin: string;
  migrationId: string;
  from: string;
  to: string;
  trigger: string;
  status: string;
  step: string;
  driver: string;
  /** Of the last migration that got that far (a running one shows its predecessor's until it does). */
  timeUntilReadyMs: number | null;
  timeUntilDoneMs: number | null;
  /** Migrations of this twin completed so far. */
  migrations: number;
  error: string | null;
}

/** What the proxy remembers of a twin's migrations. */
export interface TwinMigrations {
  latest: Migration;
  timeUntilReadyMs: number | undefined;
  timeUntilDoneMs: number | undefined;
  completed: number;
}

export function dashboardMigration(record: TwinMigrations): DashboardMigration {
  const { latest } = record;
  return {
    twin: latest.twin,
    migrationId: latest.id,
    from: latest.from,
    to: latest.to,
    trigger: latest.trigger,
    status: latest.status,
    step: latest.step,
    driver: latest.driver,
    timeUntilReadyMs: record.timeUntilReadyMs ?? null,
    timeUntilDoneMs: record.timeUntilDoneMs ?? null,
    migrations: record.completed,
    error: latest.error ?? null,
  };
}
