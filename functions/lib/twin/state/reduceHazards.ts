/**
 * The reducer's DENMs: the hazards a station announces, kept by actionId until their validity
 * ends (EN 302 637-3). An update with a newer reference time replaces the hazard; repeats and
 * older updates change nothing. A cancellation comes from the originator, a negation from
 * another station; either ends the hazard, and is remembered so that a late repeat of the
 * original does not bring it back. A termination from the wrong station is ignored.
 */
import type { DenmMessage } from "../../cits/types.ts";
import type { Hazard, Twin, TwinAccumulators } from "../../model/twin.ts";
import { isoTime } from "./isoTime.ts";
import type { TwinOptions } from "./options.ts";

export function activeHazards(hazards: Hazard[], nowMs: number): Hazard[] {
  if (hazards.length === 0) return hazards;
  const active = hazards.filter((hazard) => Date.parse(hazard.validUntil) > nowMs);
  return active.length === hazards.length ? hazards : active;
}

/** The originating station of an actionId written "<originatingStationId>:<sequenceNumber>". */
function originatorOf(actionId: string): string {
  const colon = actionId.lastIndexOf(":");
  return colon < 0 ? actionId : actionId.slice(0, colon);
}

function isValidTermination(message: DenmMessage): boolean {
  const fromOriginator = message.stationId === originatorOf(message.actionId);
  return message.termination === "isCancellation" ? fromOriginator : !fromOriginator;
}

/** Whether the message is older than, or a repeat of, what the twin already knows of its DENM. */
function isStale(message: DenmMessage, existing: Hazard | undefined, endedAtMs: number | undefined): boolean {
  const referenceMs = message.referenceTimeMs;
  if (referenceMs === undefined) return false;
  if (endedAtMs !== undefined && referenceMs <= endedAtMs) return true;
  if (existing?.referenceTime === undefined) return false;
  const knownMs = Date.parse(existing.referenceTime);
  return referenceMs < knownMs || (referenceMs === knownMs && message.termination === undefined);
}

function rememberEnded(accumulators: TwinAccumulators, message: DenmMessage, limit: number): void {
  const ended = { ...accumulators.endedDenms };
  ended[message.actionId] = message.referenceTimeMs ?? message.timeMs;
  const actions = Object.keys(ended);
  // Insertion order is age order: the oldest terminations are forgotten first.
  for (let i = 0; i < actions.length - limit; i++) delete ended[actions[i] as string];
  accumulators.endedDenms = ended;
}

/** Applies one DENM to `twin` and `accumulators`, fresh copies owned by the caller. */
export function applyDenm(
  twin: Twin,
  accumulators: TwinAccumulators,
  message: DenmMessage,
  nowMs: number,
  options: TwinOptions,
): void {
  const existing = twin.hazards.find((hazard) => hazard.actionId === message.actionId);
  if (isStale(message, existing, accumulators.endedDenms?.[message.actionId])) return;
  const others = twin.hazards.filter((hazard) => hazard.actionId !== message.actionId);
  if (message.termination !== undefined) {
    if (!isValidTermination(message)) return;
    if (others.length !== twin.hazards.length) twin.hazards = others;
    rememberEnded(accumulators, message, options.maxHazards);
    return;
  }
  const validUntilMs = (message.detectionTimeMs ?? message.timeMs) + message.validityDurationS * 1000;
  if (validUntilMs <= nowMs) {
    if (others.length !== twin.hazards.length) twin.hazards = others;
    return;
  }
  const hazard: Hazard = {
    actionId: message.actionId,
    causeCode: message.eventType?.causeCode ?? existing?.causeCode ?? 0,
    validUntil: isoTime(validUntilMs),
  };
  const subCauseCode = message.eventType?.subCauseCode ?? existing?.subCauseCode;
  if (subCauseCode !== undefined) hazard.subCauseCode = subCauseCode;
  const description = message.eventType?.description ?? existing?.description;
  if (description !== undefined) hazard.description = description;
  const eventPosition = message.eventPosition;
  const position = eventPosition ? { ...eventPosition } : existing?.position;
  if (position !== undefined) hazard.position = position;
  if (message.referenceTimeMs !== undefined) hazard.referenceTime = isoTime(message.referenceTimeMs);
  const hazards = [...others, hazard];
  if (hazards.length > options.maxHazards) hazards.splice(0, hazards.length - options.maxHazards);
  twin.hazards = hazards;
}
