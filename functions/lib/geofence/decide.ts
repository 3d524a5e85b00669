/**
 * The geofence's decision, as a pure function of the per-twin state, one position fix and
 * the zones. Hysteresis (margin, dwell time, fix count) keeps a vehicle that drives along a
 * border from ping-ponging; prediction asks for the migration `leadS` seconds before the
 * vehicle arrives, so the twin is ready at the target in time.
 */
import { destinationPoint } from "../geo/sphere.ts";
import type { LatLon } from "../geo/types.ts";

/** What the geofence needs to know about the MEC zones. */
export interface ZoneLookup {
  /** Ids of the zones containing the point. */
  containing(point: LatLon): string[];
  /** The closest zone and its distance (0 inside). */
  nearest(point: LatLon): { id: string; distanceM: number } | undefined;
  /** Distance from the point to the zone's border in metres; Infinity for an unknown zone. */
  borderDistanceM(zone: string, point: LatLon): number;
}

export interface GeofenceOptions {
  /** A point within this distance of the home zone's border does not count as in another zone. */
  marginM: number;
  /** Minimum time between the first and the deciding fix inside the new zone. */
  minDwellMs: number;
  /** Minimum number of fixes inside the new zone. */
  minFixes: number;
  /** No request for this long after a migration of the twin finished (or failed). */
  cooldownMs: number;
  prediction: boolean;
  /** How far ahead the position is projected: the driver's typical time until ready. */
  leadS: number;
  /** Below this speed (m/s) the heading is too noisy to predict from. */
  minPredictionSpeed: number;
  /** Consecutive fixes whose projection lies in the same other zone before a predicted request. */
  minPredictedFixes: number;
  /** A requested migration nobody reported on for this long no longer blocks new requests. */
  runningTimeoutMs: number;
}

/** Typical time until ready per driver, in seconds: the default prediction lead. */
export const TYPICAL_READY_S: Record<string, number> = { local: 1, kubernetes: 5, osm: 35 };

export const DEFAULT_GEOFENCE_OPTIONS: GeofenceOptions = {
  marginM: 25,
  minDwellMs: 2_000,
  minFixes: 3,
  cooldownMs: 30_000,
  prediction: true,
  leadS: TYPICAL_READY_S.local ?? 1,
  minPredictionSpeed: 2,
  minPredictedFixes: 2,
  runningTimeoutMs: 120_000,
};

export type RequestReason = "entered-zone" | "predicted-entry";

export interface GeofenceState {
  /** A zone the twin seems to be entering, and the evidence so far. */
  candidate?: { mec: string; reason: RequestReason; sinceMs: number; fixes: number };
  lastFixMs?: number;
  lastDecisionMs?: number;
  cooldownUntilMs?: number;
  running?: { to: string; sinceMs: number; migrationId?: string };
  /** The home at the previous fix: a change means a migration completed. */
  lastHome?: string;
  /** The twin reported itself migrating since the last outcome. */
  sawMigrating?: boolean;
}

export interface Fix {
  /** When the station was at the position (station time, monotonic per twin). */
  timeMs: number;
  position?: LatLon;
  speed?: number;
  heading?: number;
}

export interface GeofenceContext {
  /** The twin's home MEC; undefined before it gets its first home. */
  home: string | undefined;
  /** The twin reports itself as migrating. */
  migrating?: boolean;
  /** Server clock, for cooldowns and timeouts. */
  nowMs: number;
  zones: ZoneLookup;
  options: GeofenceOptions;
}

export type StayReason =
  | "stale-fix"
  | "no-position"
  | "no-zones"
  | "migration-running"
  | "cooldown"
  | "inside-home"
  | "within-margin"
  | "outside-zones"
  | "dwelling"
  | "predicting";

export type Decision =
  | { kind: "stay"; why: StayReason }
  | { kind: "place"; mec: string; why: "containing" | "nearest" }
  | { kind: "migrate"; to: string; reason: RequestReason; sinceMs: number };

export interface DecideResult {
  state: GeofenceState;
  decision: Decision;
}

const STAY_DECISIONS = new Map<StayReason, Decision>();
/** Stay decisions are immutable and frequent: one object per reason. */
const stay = (state: GeofenceState, why: StayReason): DecideResult => {
  let decision = STAY_DECISIONS.get(why);
  if (decision === undefined) {
    decision = Object.freeze({ kind: "stay", why }) as Decision;
    STAY_DECISIONS.set(why, decision);
  }
  return { state, decision };
};

export function decide(state: GeofenceState, fix: Fix, context: GeofenceContext): DecideResult {
  if (state.lastFixMs !== undefined && fix.timeMs <= state.lastFixMs) return stay(state, "stale-fix");
  const position = fix.position;
  if (position === undefined) return stay(state, "no-position");
  const { home, zones, options, nowMs } = context;
  let next: GeofenceState = { ...observeOutcome(state, context), lastFixMs: fix.timeMs };

  if (home === undefined) return firstHome(next, position, zones);

  if (next.running !== undefined && nowMs - next.running.sinceMs > options.runningTimeoutMs) {
    next = { ...next, running: undefined };
  }
  if (next.running !== undefined || context.migrating)
    return stay(withoutCandidate(next), "migration-running");
  if (next.cooldownUntilMs !== undefined && nowMs < next.cooldownUntilMs) {
    return stay(withoutCandidate(next), "cooldown");
  }

  const entered = otherZoneAt(position, home, zones, options.marginM);
  if (entered.zone !== undefined) {
    const candidate = advance(next.candidate, entered.zone, "entered-zone", fix.timeMs);
    next = { ...next, candidate };
    if (candidate.fixes >= options.minFixes && fix.timeMs - candidate.sinceMs >= options.minDwellMs) {
      return request(next, candidate, fix, nowMs);
    }
    return stay(next, "dwelling");
  }
  if (entered.why === "outside-zones") return stay(withoutCandidate(next), "outside-zones");

  const predicted = predictedZone(fix, position, home, context);
  if (predicted !== undefined) {
    const candidate = advance(next.candidate, predicted, "predicted-entry", fix.timeMs);
    next = { ...next, candidate };
    if (candidate.fixes >= options.minPredictedFixes) return request(next, candidate, fix, nowMs);
    return stay(next, "predicting");
  }
  return stay(withoutCandidate(next), entered.why);
}

/** Folds a migration's outcome into the twin's state: what runs blocks, what ended starts the cooldown. */
export function noteMigration(
  state: GeofenceState,
  migration: { id: string; to: string; status: "running" | "completed" | "failed" | "rolled-back" },
  nowMs: number,
  options: GeofenceOptions,
): GeofenceState {
  if (migration.status === "running") {
    return {
      ...withoutCandidate(state),
      running: { to: migration.to, sinceMs: nowMs, migrationId: migration.id },
    };
  }
  // A stale outcome of an earlier migration must not unblock a newer one.
  if (state.running?.migrationId !== undefined && state.running.migrationId !== migration.id) return state;
  return { ...withoutCandidate(state), running: undefined, cooldownUntilMs: nowMs + options.cooldownMs };
}

/**
 * Infers a migration's end from the twin itself, for a geofence that receives no migration
 * events: the home changed (completed), or the twin stopped migrating at the same home
 * (rolled back). Either ends `running` and starts the cooldown.
 */
function observeOutcome(state: GeofenceState, context: GeofenceContext): GeofenceState {
  const { home, migrating, nowMs, options } = context;
  const homeChanged = state.lastHome !== undefined && home !== undefined && home !== state.lastHome;
  const stoppedMigrating = state.sawMigrating === true && !migrating;
  // The common case, every fix of a twin that stays put: no new object.
  if (
    !homeChanged &&
    !stoppedMigrating &&
    state.lastHome === home &&
    (state.sawMigrating === true) === (migrating === true)
  ) {
    return state;
  }
  let next: GeofenceState = { ...state, lastHome: home, sawMigrating: migrating === true };
  if (homeChanged || stoppedMigrating) {
    next = { ...withoutCandidate(next), running: undefined, cooldownUntilMs: nowMs + options.cooldownMs };
  }
  return next;
}

function firstHome(state: GeofenceState, position: LatLon, zones: ZoneLookup): DecideResult {
  const containing = zones.containing(position)[0];
  if (containing !== undefined) {
    return { state, decision: { kind: "place", mec: containing, why: "containing" } };
  }
  const nearest = zones.nearest(position);
  if (nearest === undefined) return stay(state, "no-zones");
  return { state, decision: { kind: "place", mec: nearest.id, why: "nearest" } };
}

/** The other zone the point is really in, or why it counts as not being in one. */
function otherZoneAt(
  point: LatLon,
  home: string,
  zones: ZoneLookup,
  marginM: number,
):
  | { zone: string; why?: undefined }
  | { zone?: undefined; why: "inside-home" | "within-margin" | "outside-zones" } {
  const containing = zones.containing(point);
  if (containing.includes(home)) return { why: "inside-home" };
  if (zones.borderDistanceM(home, point) <= marginM) return { why: "within-margin" };
  const other = containing[0];
  return other === undefined ? { why: "outside-zones" } : { zone: other };
}

function predictedZone(
  fix: Fix,
  position: LatLon,
  home: string,
  context: GeofenceContext,
): string | undefined {
  const { options, zones } = context;
  if (!options.prediction || fix.speed === undefined || fix.heading === undefined) return undefined;
  if (fix.speed < options.minPredictionSpeed) return undefined;
  const ahead = destinationPoint(position, fix.heading, fix.speed * options.leadS);
  return otherZoneAt(ahead, home, zones, options.marginM).zone;
}

function advance(
  candidate: GeofenceState["candidate"],
  mec: string,
  reason: RequestReason,
  timeMs: number,
): NonNullable<GeofenceState["candidate"]> {
  if (candidate !== undefined && candidate.mec === mec && candidate.reason === reason) {
    return { ...candidate, fixes: candidate.fixes + 1 };
  }
  return { mec, reason, sinceMs: timeMs, fixes: 1 };
}

function request(
  state: GeofenceState,
  candidate: NonNullable<GeofenceState["candidate"]>,
  fix: Fix,
  nowMs: number,
): DecideResult {
  return {
    state: {
      ...withoutCandidate(state),
      lastDecisionMs: fix.timeMs,
      running: { to: candidate.mec, sinceMs: nowMs },
    },
    decision: { kind: "migrate", to: candidate.mec, reason: candidate.reason, sinceMs: candidate.sinceMs },
  };
}

function withoutCandidate(state: GeofenceState): GeofenceState {
  return state.candidate === undefined ? state : { ...state, candidate: undefined };
}
