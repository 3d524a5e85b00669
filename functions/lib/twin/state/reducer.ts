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
 *
 * What each message type changes is in reduceMotion.ts (CAM, VAM, CPM), reduceHazards.ts (DENM)
 * and reduceNetwork.ts (LOGS); the rate window in rateWindow.ts.
 */
import type { CitsMessage, MessageType } from "../../cits/types.ts";
import type { Twin, TwinAccumulators } from "../../model/twin.ts";
import type { TwinRecord } from "../state/records.ts";
import { copyTwin } from "./copyTwin.ts";
import { isoTime } from "./isoTime.ts";
import type { TwinOptions } from "./options.ts";
import { countMessage, newAccumulators } from "./rateWindow.ts";
import { hasApplied, withAppliedId } from "./records.ts";
import { activeHazards, applyDenm } from "./reduceHazards.ts";
import { applyCpm, applyKinematics } from "./reduceMotion.ts";
import { applyLogs } from "./reduceNetwork.ts";

export { rollRateWindow } from "./rateWindow.ts";
export { activeHazards } from "./reduceHazards.ts";

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

export function emptyMessageCounts(): Twin["messages"] {
  return { cam: 0, cpm: 0, denm: 0, vam: 0, logs: 0 };
}

function newTwin(message: CitsMessage, context: ApplyContext): Twin {
  const now = isoTime(context.nowMs);
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
  twin.lastSeen = isoTime(context.nowMs);
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
      applyDenm(twin, accumulators, message, context.nowMs, context.options);
      return;
    case "logs":
      applyLogs(twin, message);
      return;
  }
}
