/**
 * The twin reducer: the pure function that turns one station's C-ITS events into its twin.
 *
 * Rules (documented in the README):
 * - A twin is created the first time its station is seen.
 * - Idempotent by event id: an id in the record's window of applied ids changes nothing.
 * - Every distinct event counts once in `messages` and the rates, even when it is late: it was
 *   received. A late event (sequence older than the state's) changes nothing else, so it never
 *   moves the twin backwards.
 * - `lastSeen` and liveness use receipt time (the caller's clock), never the station's clock,
 *   so a station with a skewed clock is neither expired at once nor kept forever.
 */
import type {
  CamMessage,
  CitsMessage,
  CpmMessage,
  DenmMessage,
  LogsMessage,
  MessageType,
  Position,
  VamMessage,
} from "../cits/types.ts";
import { MESSAGE_TYPES } from "../cits/types.ts";
import { distanceM } from "../geo/sphere.ts";
import { copyTwin } from "./copyTwin.ts";
import type { Hazard, PerceivedObjectState, Twin, TwinAccumulators } from "./model.ts";
import type { TwinOptions } from "./options.ts";
import { hasApplied, withAppliedId } from "./records.ts";
import type { TwinRecord } from "./store.ts";

export interface ApplyContext {
  /** The MEC hosting the twin. */
  mec: string;
  /** Receipt time, ms since the epoch. */
  nowMs: number;
  options: TwinOptions;
}

export type ApplyOutcome = "applied" | "late" | "duplicate";

export interface ApplyResult {
  /** The new record; the same object as the input when nothing changed. */
  record: TwinRecord;
  changed: boolean;
  created: boolean;
  outcome: ApplyOutcome;
}

let lastIsoMs = Number.NaN;
let lastIso = "";
/** ISO 8601 of a time; remembers the last one, as a whole batch of events shares its receipt time. */
const iso = (ms: number): string => {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
};

/** The last `limit - 1` items of `items` followed by `item`, in one copy. */
function appendBounded<T>(items: readonly T[], item: T, limit: number): T[] {
  const next = items.slice(Math.max(0, items.length + 1 - limit));
  next.push(item);
  return next;
}

export function emptyMessageCounts(): Twin["messages"] {
  return { cam: 0, cpm: 0, denm: 0, vam: 0, logs: 0 };
}

function newTwin(message: CitsMessage, context: ApplyContext): Twin {
  const now = iso(context.nowMs);
  return {
    id: message.stationId,
    stationType: message.stationType ?? "unknown",
    mec: context.mec,
    status: "stable",
    liveness: "live",
    lastSeen: now,
    createdAt: now,
    messages: emptyMessageCounts(),
    messageRates: {},
    trajectory: [],
    distanceM: 0,
    averageSpeed: 0,
    maxSpeed: 0,
    perceivedObjects: [],
    hazards: [],
    network: {},
    neighbours: [],
    sequence: message.sequence,
    version: 0,
  };
}

/** The counts with one more message of a type (a fixed shape: cheaper than a computed key). */
function countedOnce(messages: Twin["messages"], type: MessageType): Twin["messages"] {
  return {
    cam: messages.cam + (type === "cam" ? 1 : 0),
    cpm: messages.cpm + (type === "cpm" ? 1 : 0),
    denm: messages.denm + (type === "denm" ? 1 : 0),
    vam: messages.vam + (type === "vam" ? 1 : 0),
    logs: messages.logs + (type === "logs" ? 1 : 0),
  };
}

function newAccumulators(nowMs: number): TwinAccumulators {
  return { speedSamples: 0, rateWindowStartMs: nowMs, rateWindowCounts: {} };
}

/**
 * Applies one C-ITS event to a station's record (creating it on first sight). Pure: the input
 * record is never changed. The new twin and running figures are built once per event and filled
 * in place by the steps below (they belong to nobody else yet): copying the ~30-field twin once
 * per step was a good part of the cost of applying an event.
 */
export function applyEvent(
  record: TwinRecord | undefined,
  message: CitsMessage,
  eventId: string,
  context: ApplyContext,
): ApplyResult {
  if (record && hasApplied(record, eventId)) {
    return { record, changed: false, created: false, outcome: "duplicate" };
  }
  const created = record === undefined;
  const previous = record?.twin ?? newTwin(message, context);
  const late = !created && message.sequence < previous.sequence;
  const running = countMessage(
    record?.accumulators ?? newAccumulators(context.nowMs),
    message.type,
    context.nowMs,
    context.options.rateWindowMs,
  );
  const twin = copyTwin(previous);
  twin.mec = context.mec;
  twin.liveness = "live";
  twin.lastSeen = iso(context.nowMs);
  twin.messages = countedOnce(previous.messages, message.type);
  twin.messageRates = running.rates ?? previous.messageRates;
  twin.hazards = activeHazards(previous.hazards, context.nowMs);
  if (!late) {
    twin.sequence = message.sequence;
    if (message.stationType !== undefined) twin.stationType = message.stationType;
    applyContent(twin, running.window, message, context);
  }
  const ids = withAppliedId(record, eventId);
  return {
    record: {
      twin,
      appliedEventIds: ids.appliedEventIds,
      recentEventIds: ids.recentEventIds,
      accumulators: running.window,
    },
    changed: true,
    created,
    outcome: late ? "late" : "applied",
  };
}

/** Fills the event's content into `twin` and `accumulators`, both fresh copies owned by the caller. */
function applyContent(
  twin: Twin,
  accumulators: TwinAccumulators,
  message: CitsMessage,
  context: ApplyContext,
): void {
  switch (message.type) {
    case "cam":
    case "vam":
      applyKinematics(twin, accumulators, message, context.options);
      return;
    case "cpm":
      applyCpm(twin, accumulators, message, context.options);
      return;
    case "denm":
      applyDenm(twin, message, context);
      return;
    case "logs":
      applyLogs(twin, message);
      return;
  }
}

interface Kinematics {
  position?: Position | undefined;
  speed?: number | undefined;
  heading?: number | undefined;
  timeMs: number;
}

/** Position, trajectory, distance and speed statistics: what every position report updates. */
function applyMotion(
  twin: Twin,
  accumulators: TwinAccumulators,
  report: Kinematics,
  options: TwinOptions,
): void {
  if (report.position) {
    const { lat, lon, alt } = report.position;
    // A copy: the twin must not share an object with the event it came from.
    const position: Position = alt === undefined ? { lat, lon } : { lat, lon, alt };
    if (twin.position) twin.distanceM += distanceM(twin.position, position);
    twin.position = position;
    const last = twin.trajectory.at(-1);
    if (last === undefined || report.timeMs - last.timeMs >= options.trajectoryIntervalMs) {
      twin.trajectory = appendBounded(
        twin.trajectory,
        { lat, lon, timeMs: report.timeMs },
        options.trajectoryLength,
      );
    }
  }
  if (report.speed !== undefined) {
    const speedSamples = accumulators.speedSamples + 1;
    twin.speed = report.speed;
    twin.averageSpeed += (report.speed - twin.averageSpeed) / speedSamples;
    twin.maxSpeed = Math.max(twin.maxSpeed, report.speed);
    accumulators.speedSamples = speedSamples;
  }
  if (report.heading !== undefined) twin.heading = report.heading;
}

function applyKinematics(
  twin: Twin,
  accumulators: TwinAccumulators,
  message: CamMessage | VamMessage,
  options: TwinOptions,
): void {
  applyMotion(twin, accumulators, message, options);
  if (message.longitudinalAcceleration !== undefined) {
    twin.longitudinalAcceleration = message.longitudinalAcceleration;
  }
  if (message.yawRate !== undefined) twin.yawRate = message.yawRate;
  if (message.length !== undefined) twin.length = message.length;
  if (message.width !== undefined) twin.width = message.width;
  if (message.exteriorLights !== undefined && !sameItems(twin.exteriorLights, message.exteriorLights)) {
    twin.exteriorLights = [...message.exteriorLights]; // a copy: never share an array with the event
  }
}

function sameItems(kept: readonly string[] | undefined, sent: readonly string[]): boolean {
  if (kept === undefined || kept.length !== sent.length) return false;
  for (let index = 0; index < sent.length; index++) if (kept[index] !== sent[index]) return false;
  return true;
}

/** A CPM is the full picture of what the station perceives now: it replaces the previous objects. */
function applyCpm(
  twin: Twin,
  accumulators: TwinAccumulators,
  message: CpmMessage,
  options: TwinOptions,
): void {
  applyMotion(
    twin,
    accumulators,
    {
      position: message.referencePosition,
      speed: message.speed,
      heading: message.heading,
      timeMs: message.timeMs,
    },
    options,
  );
  const objects: PerceivedObjectState[] = [];
  for (const object of message.perceivedObjects) {
    if (!object.position) continue; // without a position it cannot be shown or compared
    if (objects.length >= options.maxPerceivedObjects) break;
    const state: PerceivedObjectState = {
      objectId: object.objectId,
      lat: object.position.lat,
      lon: object.position.lon,
    };
    if (object.speed !== undefined) state.speed = object.speed;
    if (object.heading !== undefined) state.heading = object.heading;
    if (object.classification !== undefined) state.classification = object.classification;
    objects.push(state);
  }
  twin.perceivedObjects = objects;
}

export function activeHazards(hazards: Hazard[], nowMs: number): Hazard[] {
  if (hazards.length === 0) return hazards;
  const active = hazards.filter((hazard) => Date.parse(hazard.validUntil) > nowMs);
  return active.length === hazards.length ? hazards : active;
}

/** DENMs keep a hazard, by action id, until its validity ends; a cancellation or negation removes it. */
function applyDenm(twin: Twin, message: DenmMessage, context: ApplyContext): void {
  const others = twin.hazards.filter((hazard) => hazard.actionId !== message.actionId);
  const validUntilMs = (message.detectionTimeMs ?? message.timeMs) + message.validityDurationS * 1000;
  if (message.termination !== undefined || validUntilMs <= context.nowMs) {
    if (others.length !== twin.hazards.length) twin.hazards = others;
    return;
  }
  const existing = twin.hazards.find((hazard) => hazard.actionId === message.actionId);
  const hazard: Hazard = {
    actionId: message.actionId,
    causeCode: message.eventType?.causeCode ?? existing?.causeCode ?? 0,
    validUntil: iso(validUntilMs),
  };
  const subCauseCode = message.eventType?.subCauseCode ?? existing?.subCauseCode;
  if (subCauseCode !== undefined) hazard.subCauseCode = subCauseCode;
  const description = message.eventType?.description ?? existing?.description;
  if (description !== undefined) hazard.description = description;
  const eventPosition = message.eventPosition;
  const position = eventPosition ? { ...eventPosition } : existing?.position;
  if (position !== undefined) hazard.position = position;
  const hazards = [...others, hazard];
  if (hazards.length > context.options.maxHazards)
    hazards.splice(0, hazards.length - context.options.maxHazards);
  twin.hazards = hazards;
}

const NETWORK_FIELDS = [
  "throughputBps",
  "rxBytes",
  "txBytes",
  "rssiDbm",
  "rsrpDbm",
  "rsrqDb",
  "sinrDb",
] as const;

function applyLogs(twin: Twin, message: LogsMessage): void {
  const network = { ...twin.network, updatedAt: iso(message.timeMs) };
  for (const field of NETWORK_FIELDS) {
    const value = message[field];
    if (value !== undefined) network[field] = value;
  }
  twin.network = network;
}

/**
 * Counts a message in the rate window. When the window has run its length, its rates are
 * computed and a new window starts with this message.
 */
function countMessage(
  accumulators: TwinAccumulators,
  type: MessageType,
  nowMs: number,
  windowMs: number,
): { window: TwinAccumulators; rates: Record<string, number> | undefined } {
  const rolled = rollRateWindow(accumulators, nowMs, windowMs);
  const counts = rolled.window.rateWindowCounts;
  // Always a fresh object: applyContent fills it in place.
  return {
    window: {
      speedSamples: rolled.window.speedSamples,
      rateWindowStartMs: rolled.window.rateWindowStartMs,
      rateWindowCounts: countedIn(counts, type),
    },
    rates: rolled.rates,
  };
}

/** The window's counts with one more of `type`, copied key by key (a spread with a computed key was slow). */
function countedIn(counts: Record<string, number>, type: MessageType): Record<string, number> {
  const next: Record<string, number> = {};
  for (const key in counts) next[key] = counts[key] as number;
  next[type] = (counts[type] ?? 0) + 1;
  return next;
}

/** Closes the rate window when it has run its length: rates per second by type, and a new empty window. */
export function rollRateWindow(
  accumulators: TwinAccumulators,
  nowMs: number,
  windowMs: number,
): { window: TwinAccumulators; rates: Record<string, number> | undefined } {
  const elapsedMs = nowMs - accumulators.rateWindowStartMs;
  if (elapsedMs < windowMs) return { window: accumulators, rates: undefined };
  const rates: Record<string, number> = {};
  for (const type of MESSAGE_TYPES)
    rates[type] = (accumulators.rateWindowCounts[type] ?? 0) / (elapsedMs / 1000);
  return { window: { ...accumulators, rateWindowStartMs: nowMs, rateWindowCounts: {} }, rates };
}
