/**
 * Geofence decisions per second with 1,000 zones: decide() over the ZoneIndex against the
 * same decide() over a naive lookup (every zone, plain point-in-polygon, nearest by looping),
 * on the same vehicle tracks in the same run.
 */

import { distanceToBoundaryM, pointInGeometry } from "../../functions/lib/geo/polygon.ts";
import { destinationPoint } from "../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../functions/lib/geo/types.ts";
import type { Zone } from "../../functions/lib/geo/zoneIndex.ts";
import {
  DEFAULT_GEOFENCE_OPTIONS,
  decide,
  type Fix,
  type GeofenceState,
  noteMigration,
  type ZoneLookup,
} from "../../functions/lib/geofence/decide.ts";
import { zoneLookup } from "../../functions/lib/geofence/zones.ts";
import type { Benchmark } from "./types.ts";
import { tiledZones } from "./zones.bench.ts";

const VEHICLES = 1_000;
const FIXES_PER_VEHICLE = 240;
/** 1,000 vehicles at 10 Hz is the load the system is built for; one core should carry 10x that. */
const AIM_DECISIONS_PER_SECOND = 100_000;

function naiveLookup(zones: readonly Zone[]): ZoneLookup {
  const byId = new Map(zones.map((zone) => [zone.id, zone]));
  return {
    containing: (point) =>
      zones.filter((zone) => pointInGeometry(zone.geometry, point)).map((zone) => zone.id),
    nearest: (point) => {
      let best: { id: string; distanceM: number } | undefined;
      for (const zone of zones) {
        const distance = pointInGeometry(zone.geometry, point)
          ? 0
          : distanceToBoundaryM(zone.geometry, point);
        if (best === undefined || distance < best.distanceM) best = { id: zone.id, distanceM: distance };
      }
      return best;
    },
    borderDistanceM: (zone, point) => {
      const geometry = byId.get(zone)?.geometry;
      return geometry === undefined ? Number.POSITIVE_INFINITY : distanceToBoundaryM(geometry, point);
    },
  };
}

/** Deterministic tracks: straight drives at 8-25 m/s through the tiling, one fix a second. */
function tracks(): LatLon[][] {
  let seed = 7;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: VEHICLES }, () => {
    let position = { lat: 40.45 + next() * 0.28, lon: -8.85 + next() * 0.7 };
    const heading = next() * 360;
    const speed = 8 + next() * 17;
    return Array.from({ length: FIXES_PER_VEHICLE }, () => {
      position = destinationPoint(position, heading, speed);
      return position;
    });
  });
}

/** A decision loop over all vehicles; a requested migration completes at once. */
function decisionLoop(zones: ZoneLookup, paths: LatLon[][]) {
  const options = { ...DEFAULT_GEOFENCE_OPTIONS, cooldownMs: 5_000 };
  const states: GeofenceState[] = paths.map(() => ({}));
  const homes: (string | undefined)[] = paths.map(() => undefined);
  let migrations = 0;
  const step = (iteration: number) => {
    const vehicle = iteration % VEHICLES;
    const round = Math.floor(iteration / VEHICLES);
    const timeMs = round * 1000;
    const path = paths[vehicle] as LatLon[];
    const fix: Fix = { timeMs, position: path[round % FIXES_PER_VEHICLE], speed: 14, heading: 90 };
    if (round % FIXES_PER_VEHICLE === 0) states[vehicle] = {};
    const result = decide(states[vehicle] as GeofenceState, fix, {
      home: homes[vehicle],
      nowMs: timeMs,
      zones,
      options,
    });
    let state = result.state;
    if (result.decision.kind === "place") homes[vehicle] = result.decision.mec;
    if (result.decision.kind === "migrate") {
      homes[vehicle] = result.decision.to;
      state = noteMigration(
        state,
        { id: String(iteration), to: result.decision.to, status: "completed" },
        timeMs,
        options,
      );
      migrations++;
    }
    states[vehicle] = state;
  };
  return { step, migrations: () => migrations };
}

export const benchmark: Benchmark = {
  id: "geofence",
  title: "Geofence decisions (1,000 zones)",
  async run({ quick }) {
    const zones = tiledZones();
    const paths = tracks();
    const indexed = decisionLoop(zoneLookup(zones), paths);
    const naive = decisionLoop(naiveLookup(zones), paths);
    // Interleaved rounds, rated by the CPU time this process used: other work on a shared
    // machine slows the wall clock, not the work per CPU second.
    const rounds = quick ? 3 : 6;
    let indexedCpu = 0;
    let naiveCpu = 0;
    let indexedOps = 0;
    let naiveOps = 0;
    let iteration = 0;
    let naiveIteration = 0;
    for (let round = 0; round < rounds; round++) {
      const batch = 20_000;
      let start = process.cpuUsage();
      for (let k = 0; k < batch; k++) indexed.step(iteration++);
      let used = process.cpuUsage(start);
      indexedCpu += used.user + used.system;
      indexedOps += batch;
      start = process.cpuUsage();
      for (let k = 0; k < batch / 100; k++) naive.step(naiveIteration++);
      used = process.cpuUsage(start);
      naiveCpu += used.user + used.system;
      naiveOps += batch / 100;
    }
    const indexedRate = indexedOps / (indexedCpu / 1e6);
    const naiveRate = naiveOps / (naiveCpu / 1e6);
    const speedup = indexedRate / naiveRate;
    return [
      {
        name: `decide() per position fix, ${zones.length} zones, ${VEHICLES} vehicles`,
        value: indexedRate,
        unit: "decisions per CPU s",
        baseline: {
          name: "same decide() over a naive loop of all zones",
          value: naiveRate,
          unit: "decisions per CPU s",
        },
        aim: `>= ${AIM_DECISIONS_PER_SECOND.toLocaleString("en-US")} per CPU s (10x 1,000 vehicles at 10 Hz)`,
        met: indexedRate >= AIM_DECISIONS_PER_SECOND,
        notes: `${speedup.toFixed(1)}x the naive loop; ${indexed.migrations()} migrations decided during the run`,
      },
    ];
  },
};
