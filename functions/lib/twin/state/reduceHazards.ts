/** The reducer's DENMs: the hazards a station announces, kept until their validity ends. */
import type { DenmMessage } from "../../cits/types.ts";
import type { Hazard, Twin } from "../../model/twin.ts";
import { isoTime } from "./isoTime.ts";
import type { TwinOptions } from "./options.ts";

export function activeHazards(hazards: Hazard[], nowMs: number): Hazard[] {
  if (hazards.length === 0) return hazards;
  const active = hazards.filter((hazard) => Date.parse(hazard.validUntil) > nowMs);
  return active.length === hazards.length ? hazards : active;
}

/** DENMs keep a hazard, by action id, until its validity ends; a cancellation or negation removes it. */
export function applyDenm(twin: Twin, message: DenmMessage, nowMs: number, options: TwinOptions): void {
  const others = twin.hazards.filter((hazard) => hazard.actionId !== message.actionId);
  const validUntilMs = (message.detectionTimeMs ?? message.timeMs) + message.validityDurationS * 1000;
  if (message.termination !== undefined || validUntilMs <= nowMs) {
    if (others.length !== twin.hazards.length) twin.hazards = others;
    return;
  }
  const existing = twin.hazards.find((hazard) => hazard.actionId === message.actionId);
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
  const hazards = [...others, hazard];
  if (hazards.length > options.maxHazards) hazards.splice(0, hazards.length - options.maxHazards);
  twin.hazards = hazards;
}
