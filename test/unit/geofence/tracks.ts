/**
 * Scripted tracks for the geofence tests: two MEC zones side by side sharing the meridian
 * lon -8.64 as their border (mec-a west, mec-b east), positions given in metres east (x)
 * and north (y) of a point on that border.
 */

import { bearingDeg, destinationPoint, distanceM } from "../../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../../functions/lib/geo/types.ts";
import {
  DEFAULT_GEOFENCE_OPTIONS,
  type Decision,
  decide,
  type Fix,
  type GeofenceOptions,
  type GeofenceState,
  noteMigration,
} from "../../../functions/lib/geofence/decide.ts";
import { zoneLookup } from "../../../functions/lib/geofence/zones.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";

export const BORDER_LON = -8.64;
const ORIGIN: LatLon = { lat: 40.65, lon: BORDER_LON };

const rectangle = (west: number, south: number, east: number, north: number) => ({
  type: "Polygon" as const,
  coordinates: [
    [
      [west, south],
      [east, south],
      [east, north],
      [west, north],
      [west, south],
    ],
  ],
});

export const ZONES = zoneLookup([
  { id: "mec-a", geometry: rectangle(-8.7, 40.6, BORDER_LON, 40.7) },
  { id: "mec-b", geometry: rectangle(BORDER_LON, 40.6, -8.58, 40.7) },
]);

/** A point x metres east and y metres north of the origin on the border. */
export function at(x: number, y = 0): LatLon {
  const east = destinationPoint(ORIGIN, x >= 0 ? 90 : 270, Math.abs(x));
  return destinationPoint(east, y >= 0 ? 0 : 180, Math.abs(y));
}

/** Fixes one per `intervalMs` through the given (x, y) points; speed and heading from the motion. */
export function trackThrough(points: ([number, number] | undefined)[], intervalMs = 1000): Fix[] {
  let previous: LatLon | undefined;
  return points.map((point, index) => {
    const timeMs = 1_000_000 + index * intervalMs;
    if (point === undefined) return { timeMs };
    const position = at(point[0], point[1]);
    const fix: Fix = { timeMs, position };
    if (previous !== undefined && distanceM(previous, position) > 0.01) {
      fix.speed = distanceM(previous, position) / (intervalMs / 1000);
      fix.heading = bearingDeg(previous, position);
    } else if (previous !== undefined) fix.speed = 0;
    previous = position;
    return fix;
  });
}

/** A straight track along the x axis from x0 at `speed` m/s, one fix a second. */
export function straightEast(x0: number, speed: number, count: number): Fix[] {
  return trackThrough(Array.from({ length: count }, (_, k) => [x0 + speed * k, 0] as [number, number]));
}

export interface DriveResult {
  decisions: { index: number; decision: Decision }[];
  all: Decision[];
  home: string | undefined;
  state: GeofenceState;
}

/**
 * Feeds the fixes through decide() with the server clock equal to the fix time. A requested
 * migration completes `migrationMs` later (the home moves then), as the engine would report.
 */
export function drive(
  fixes: Fix[],
  options: Partial<GeofenceOptions> = {},
  initial: { home?: string | undefined; migrationMs?: number; outcomeEvents?: boolean } = { home: "mec-a" },
): DriveResult {
  const effective = { ...DEFAULT_GEOFENCE_OPTIONS, ...options };
  let state: GeofenceState = {};
  let home = "home" in initial ? initial.home : "mec-a";
  let pending: { to: string; doneAtMs: number } | undefined;
  const decisions: DriveResult["decisions"] = [];
  const all: Decision[] = [];
  fixes.forEach((fix, index) => {
    if (pending !== undefined && fix.timeMs >= pending.doneAtMs) {
      home = pending.to;
      if (initial.outcomeEvents !== false)
        state = noteMigration(
          state,
          { id: "m", to: pending.to, status: "completed" },
          pending.doneAtMs,
          effective,
        );
      pending = undefined;
    }
    const result = decide(state, fix, { home, nowMs: fix.timeMs, zones: ZONES, options: effective });
    state = result.state;
    all.push(result.decision);
    if (result.decision.kind === "stay") return;
    decisions.push({ index, decision: result.decision });
    if (result.decision.kind === "place") home = result.decision.mec;
    if (result.decision.kind === "migrate") {
      pending = { to: result.decision.to, doneAtMs: fix.timeMs + (initial.migrationMs ?? 0) };
    }
  });
  return { decisions, all, home, state };
}

export const T0 = Date.parse("2026-11-28T07:00:00.000Z");

/** A whole twin at x metres east of the border, `seconds` after T0. */
export function twinAt(x: number, seconds: number, overrides: Partial<Twin> = {}): Twin {
  return {
    id: "42",
    stationType: "passengerCar",
    mec: "mec-a",
    status: "stable",
    liveness: "live",
    position: at(x),
    speed: 14,
    heading: 90,
    lastSeen: new Date(T0 + seconds * 1000).toISOString(),
    createdAt: new Date(T0).toISOString(),
    messages: { cam: seconds, cpm: 0, denm: 0, vam: 0, logs: 0 },
    messageRates: {},
    trajectory: [],
    distanceM: 0,
    averageSpeed: 14,
    maxSpeed: 14,
    perceivedObjects: [],
    hazards: [],
    network: {},
    neighbours: [],
    sequence: seconds,
    version: seconds,
    ...overrides,
  };
}
