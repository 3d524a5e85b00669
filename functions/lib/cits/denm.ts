/**
 * DENM: management.{actionId.{originatingStationId, sequenceNumber}, detectionTime, eventPosition,
 * validityDuration (s, ETSI default 600), stationType, termination} and situation.eventType,
 * written either {causeCode, subCauseCode} (release 1) or {ccAndScc: {"collisionRisk97": 1}}
 * (release 2 JSON: the key ends in the cause code, the value is the sub cause code).
 */
import { z } from "zod";
import { causeDescription } from "./causeCodes.ts";
import { positionOf, readPosition } from "./kinematics.ts";
import {
  fail,
  failureReason,
  invalidField,
  isObject,
  type JsonObject,
  joinPath,
  numberAt,
  objectAt,
  stationIdFrom,
} from "./read.ts";
import type { DenmMessage, UnitSystem } from "./types.ts";
import { itsTimestampToUnixMs, type Reading, Readings } from "./units.ts";

type DenmFields = Pick<
  DenmMessage,
  | "actionId"
  | "eventType"
  | "eventPosition"
  | "detectionTimeMs"
  | "referenceTimeMs"
  | "validityDurationS"
  | "termination"
>;

export interface DenmReadings {
  readings: Readings;
  latitude?: Reading;
  longitude?: Reading;
  altitude?: Reading;
  actionId: string;
  /** The originator's station id: a DENM's station when the envelope names none. */
  originatorId: string;
  detectionTime?: number;
  referenceTime?: number;
  validityDurationS: number;
  termination?: "isCancellation" | "isNegation";
  eventType?: DenmFields["eventType"];
  stationTypeCode?: number;
}

export const DEFAULT_VALIDITY_S = 600;
const TERMINATIONS = ["isCancellation", "isNegation"] as const;
const TerminationSchema = z.union([z.enum(TERMINATIONS), z.literal(0), z.literal(1)]);
const CcAndSccSchema = z.record(z.string().regex(/\d+$/), z.number());

function terminationOf(value: unknown, path: string): DenmReadings["termination"] {
  if (value === undefined || value === null) return undefined;
  if (value === 0 || value === "isCancellation") return "isCancellation";
  if (value === 1 || value === "isNegation") return "isNegation";
  return invalidField(path, value, TerminationSchema, "expected isCancellation or isNegation");
}

function eventTypeOf(situation: JsonObject | undefined, path: string): DenmReadings["eventType"] {
  const eventType = objectAt(situation, "eventType", path);
  if (eventType === undefined) return undefined;
  const eventPath = joinPath(path, "eventType");
  const ccAndScc = objectAt(eventType, "ccAndScc", eventPath);
  let causeCode: number | undefined;
  let subCauseCode: number | undefined;
  if (ccAndScc !== undefined) {
    for (const key in ccAndScc) {
      const digits = /(\d+)$/.exec(key);
      const sub = ccAndScc[key];
      if (digits === null || typeof sub !== "number") {
        return invalidField(
          `${eventPath}.ccAndScc`,
          ccAndScc,
          CcAndSccSchema,
          "expected {<name><causeCode>: subCauseCode}",
        );
      }
      causeCode = Number(digits[1]);
      subCauseCode = sub;
      break;
    }
  } else {
    causeCode = numberAt(eventType, "causeCode", eventPath);
    subCauseCode = numberAt(eventType, "subCauseCode", eventPath);
  }
  if (causeCode === undefined) return undefined;
  const description = causeDescription(causeCode);
  return {
    causeCode,
    ...(subCauseCode !== undefined ? { subCauseCode } : {}),
    ...(description !== undefined ? { description } : {}),
  };
}

export function readDenm(body: JsonObject, bodyPath: string): DenmReadings {
  const readings = new Readings();
  const management = objectAt(body, "management", bodyPath);
  const managementPath = joinPath(bodyPath, "management");
  if (management === undefined)
    fail("invalid-field", `a DENM needs its management container (at ${managementPath})`);
  const actionKey = isObject(management.actionID) ? "actionID" : "actionId";
  const action = objectAt(management, actionKey, managementPath);
  const actionPath = `${managementPath}.${actionKey}`;
  if (action === undefined) fail("invalid-field", `a DENM needs management.actionId (at ${actionPath})`);
  const originator =
    stationIdFrom(action.originatingStationId, `${actionPath}.originatingStationId`) ??
    stationIdFrom(action.originatingStationID, `${actionPath}.originatingStationID`);
  const sequence = numberAt(action, "sequenceNumber", actionPath);
  if (originator === undefined || sequence === undefined) {
    fail("invalid-field", `a DENM actionId needs originatingStationId and sequenceNumber (at ${actionPath})`);
  }
  const validity = numberAt(management, "validityDuration", managementPath);
  if (validity !== undefined && (validity < 0 || validity > 86400)) {
    fail(
      "out-of-range",
      `validityDuration ${validity} s is out of range [0, 86400] at ${managementPath}.validityDuration`,
    );
  }
  const result: DenmReadings = {
    readings,
    ...readPosition(
      readings,
      objectAt(management, "eventPosition", managementPath),
      `${managementPath}.eventPosition`,
    ),
    actionId: `${originator}:${sequence}`,
    originatorId: originator,
    validityDurationS: validity ?? DEFAULT_VALIDITY_S,
  };
  const detectionTime = numberAt(management, "detectionTime", managementPath);
  if (detectionTime !== undefined) result.detectionTime = detectionTime;
  const referenceTime = numberAt(management, "referenceTime", managementPath);
  if (referenceTime !== undefined) result.referenceTime = referenceTime;
  const termination = terminationOf(management.termination, `${managementPath}.termination`);
  if (termination !== undefined) result.termination = termination;
  const stationTypeCode = numberAt(management, "stationType", managementPath);
  if (stationTypeCode !== undefined) result.stationTypeCode = stationTypeCode;
  // The situation is optional: a malformed one is dropped and the DENM kept.
  const situationPath = joinPath(bodyPath, "situation");
  try {
    const eventType = eventTypeOf(objectAt(body, "situation", bodyPath), situationPath);
    if (eventType !== undefined) result.eventType = eventType;
  } catch (error) {
    readings.drop(situationPath, "malformed", failureReason(error));
  }
  return result;
}

export function convertDenm(read: DenmReadings, units: UnitSystem): DenmFields {
  const out: DenmFields = { actionId: read.actionId, validityDurationS: read.validityDurationS };
  if (read.eventType !== undefined) out.eventType = read.eventType;
  const position = positionOf(read.latitude, read.longitude, read.altitude, units);
  if (position !== undefined) out.eventPosition = position;
  if (read.detectionTime !== undefined) {
    const detectionTimeMs = itsTimestampToUnixMs(read.detectionTime, units);
    if (!Number.isFinite(detectionTimeMs) || detectionTimeMs < 0) {
      fail("out-of-range", `detectionTime ${read.detectionTime} is not a time (read as ${units} units)`);
    }
    out.detectionTimeMs = detectionTimeMs;
  }
  if (read.referenceTime !== undefined) {
    const referenceTimeMs = itsTimestampToUnixMs(read.referenceTime, units);
    if (Number.isFinite(referenceTimeMs) && referenceTimeMs >= 0)
      out.referenceTimeMs = Math.round(referenceTimeMs);
  }
  if (read.termination !== undefined) out.termination = read.termination;
  return out;
}
