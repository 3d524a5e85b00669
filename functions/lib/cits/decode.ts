/**
 * decode(topic, payload): one MQTT message in any accepted dialect to the normalized C-ITS
 * message of types.ts (SI units, degrees), or a typed rejection with a reason a person can act
 * on. Pure apart from the clock it reads when no receipt time is given; never throws.
 *
 * Time: the envelope `timestamp` (vanetza-nap: Unix seconds as a float; values above 1e11 are
 * taken as ms), else the receipt time. `sequence` is that time in ms with its sub-millisecond
 * part kept, so it grows with the station's message order.
 */

import { z } from "zod";
import { compileConformance } from "../conforms.ts";
import { convertCpm, readCpm } from "./cpm.ts";
import { convertDenm, readDenm } from "./denm.ts";
import { type ItsMessageType, locate, type Route, routeTopic } from "./dialect.ts";
import { unusedParts } from "./explain.ts";
import { convertKinematics, readKinematics } from "./kinematics.ts";
import { normalizeLogs } from "./logs.ts";
import { DecodeFailure, fail, isObject, type JsonObject, numberAt, stationIdFrom } from "./read.ts";
import {
  type CitsMessage,
  CitsMessageSchema,
  type DecodeResult,
  type DroppedPart,
  MAX_PAYLOAD_BYTES,
  type Origin,
  STATION_TYPES,
  type StationTypeName,
  type UnitSystem,
} from "./types.ts";
import { decideUnits, envelopeTimestampToMs, type Readings } from "./units.ts";

export type { DecodeResult } from "./types.ts";

function payloadText(payload: Buffer | string): string {
  if (typeof payload === "string") {
    // UTF-8 needs at least one byte per UTF-16 unit and at most three.
    if (
      payload.length > MAX_PAYLOAD_BYTES ||
      (payload.length * 3 > MAX_PAYLOAD_BYTES && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
    ) {
      fail("too-large", `payload is larger than ${MAX_PAYLOAD_BYTES} bytes; not read`);
    }
    return payload;
  }
  if (payload.length > MAX_PAYLOAD_BYTES) {
    fail("too-large", `payload of ${payload.length} bytes is larger than ${MAX_PAYLOAD_BYTES}; not read`);
  }
  return payload.toString("utf8");
}

function parseJson(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail("not-json", `payload is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    fail("not-an-object", `payload is ${kind}; a C-ITS message is a JSON object`);
  }
  return value;
}

function stationTypeName(code: number | undefined): StationTypeName | undefined {
  if (code === undefined) return undefined;
  return (STATION_TYPES as Record<number, StationTypeName>)[code];
}

/** Replaced before the message leaves decodeIts; keeps the object's shape stable for the JIT. */
const conformsToCitsMessage = compileConformance(CitsMessageSchema);

const ORIGIN_PLACEHOLDER: Origin = { topic: "", dialect: "plain", units: "raw" };

interface Common {
  stationId: string;
  timeMs: number;
  sequence: number;
}

function common(root: JsonObject, stationId: string | undefined, receivedAtMs: number | undefined): Common {
  if (stationId === undefined) {
    fail(
      "missing-station-id",
      "no station id: expected it in the topic, the envelope stationID, header.stationId or the body's stationID",
    );
  }
  const timestamp = numberAt(root, "timestamp", "");
  const precise =
    timestamp !== undefined && timestamp > 0
      ? envelopeTimestampToMs(timestamp)
      : (receivedAtMs ?? Date.now());
  return { stationId, timeMs: Math.floor(precise), sequence: precise };
}

interface Decoded {
  message: CitsMessage;
  dropped: DroppedPart[] | undefined;
}

/** The originator named in a DENM's actionId, read leniently: readDenm checks it properly. */
function denmOriginator(type: ItsMessageType, body: JsonObject): string | undefined {
  if (type !== "denm" || !isObject(body.management)) return undefined;
  const action = body.management.actionId ?? body.management.actionID;
  if (!isObject(action)) return undefined;
  const id = action.originatingStationId ?? action.originatingStationID;
  return typeof id === "number" && Number.isSafeInteger(id) && id >= 0
    ? String(id)
    : typeof id === "string" && id.trim() !== ""
      ? id.trim()
      : undefined;
}

function decodeIts(
  route: Route,
  root: JsonObject,
  receivedAtMs: number | undefined,
  topic: string,
  explain: boolean,
): Decoded {
  const located = locate(root, route.type as ItsMessageType | undefined);
  const { type, body, bodyPath, header, headerPath } = located;
  const stationId =
    route.stationId ??
    stationIdFrom(root.stationID, "stationID") ??
    stationIdFrom(header?.stationId, `${headerPath}.stationId`) ??
    stationIdFrom(header?.stationID, `${headerPath}.stationID`) ??
    stationIdFrom(body.stationID, `${bodyPath}.stationID`) ??
    stationIdFrom(body.stationId, `${bodyPath}.stationId`) ??
    denmOriginator(type, body);
  const base = common(root, stationId, receivedAtMs);
  const dialect =
    route.dialect !== "plain"
      ? route.dialect
      : located.shape === "envelope"
        ? "vanetza-out"
        : located.shape === "nested"
          ? "nested"
          : "plain";
  const fallbackUnits = route.dialect === "plain" && located.shape === "nested" ? "raw" : route.defaultUnits;
  const quadkey = route.quadkey;

  let message: CitsMessage;
  let units: UnitSystem;
  let stationTypeCode: number | undefined;
  let readings: Readings;
  if (type === "cam" || type === "vam") {
    const read = readKinematics(body, bodyPath, type);
    readings = read.readings;
    units = decideUnits(read.readings.items, fallbackUnits);
    stationTypeCode = read.stationTypeCode;
    message = { type, ...base, origin: ORIGIN_PLACEHOLDER, ...convertKinematics(read, units) };
  } else if (type === "cpm") {
    const read = readCpm(body, bodyPath);
    readings = read.readings;
    units = decideUnits(read.readings.items, fallbackUnits);
    stationTypeCode = read.stationTypeCode;
    message = { type, ...base, origin: ORIGIN_PLACEHOLDER, ...convertCpm(read, units) };
  } else {
    const read = readDenm(body, bodyPath);
    readings = read.readings;
    units = decideUnits(read.readings.items, fallbackUnits);
    stationTypeCode = read.stationTypeCode;
    message = { type, ...base, origin: ORIGIN_PLACEHOLDER, ...convertDenm(read, units) };
  }
  message.origin = quadkey === undefined ? { topic, dialect, units } : { topic, dialect, quadkey, units };
  const stationType = stationTypeName(stationTypeCode);
  if (stationType !== undefined) message.stationType = stationType;
  if (!explain) return { message, dropped: readings.dropped };
  const unused = unusedParts(type, body, bodyPath);
  const dropped = [...(readings.dropped ?? []), ...unused];
  return { message, dropped: dropped.length === 0 ? undefined : dropped };
}

function decodeOrThrow(
  topic: string,
  payload: Buffer | string,
  receivedAtMs: number | undefined,
  explain: boolean,
): Decoded {
  const text = payloadText(payload);
  const route = routeTopic(topic);
  const root = parseJson(text);
  if (route.type === "logs") {
    const base = common(root, route.stationId, receivedAtMs);
    const origin: Origin = { topic, dialect: route.dialect, units: route.defaultUnits };
    const message: CitsMessage = {
      type: "logs",
      ...base,
      origin,
      ...normalizeLogs(root, route.logsKind ?? "network"),
    };
    return { message, dropped: undefined };
  }
  return decodeIts(route, root, receivedAtMs, topic, explain);
}

/**
 * Whether a message says nothing a twin can use. Only asked when a part was malformed: a CAM with
 * every value "unavailable" is still a sign of life, a CPM whose only container was broken is not.
 */
function nothingUsable(message: CitsMessage): boolean {
  switch (message.type) {
    case "cam":
    case "vam":
      return message.position === undefined && message.speed === undefined && message.heading === undefined;
    case "cpm":
      return message.referencePosition === undefined && message.perceivedObjects.length === 0;
    default:
      return false;
  }
}

export interface DecodeOptions {
  /** Also list, as `unused` dropped parts, the containers the decoder does not read (slower). */
  explain?: boolean;
}

/**
 * Decodes one message. `topic` is the MQTT topic it came on ("" when unknown: the payload
 * alone decides); `receivedAtMs` is its receipt time, used when the message carries none.
 */
export function decode(
  topic: string,
  payload: Buffer | string,
  receivedAtMs?: number,
  options?: DecodeOptions,
): DecodeResult {
  try {
    const { message, dropped } = decodeOrThrow(topic, payload, receivedAtMs, options?.explain === true);
    if (dropped !== undefined) {
      const malformed = dropped.find((part) => part.code === "malformed");
      if (malformed !== undefined && nothingUsable(message)) {
        const reason = `nothing usable remains once the malformed parts are dropped: ${malformed.reason} (at ${malformed.path})`;
        return { ok: false, rejection: { code: "invalid-field", reason, topic } };
      }
    }
    // The normalizers build valid messages by construction; this keeps a missed case from
    // ever reaching the twins as a malformed event. The compiled check answers for nearly every
    // message at a fraction of zod's cost; zod words the reason when it says no.
    if (conformsToCitsMessage(message))
      return dropped === undefined ? { ok: true, message } : { ok: true, message, dropped };
    const checked = CitsMessageSchema.safeParse(message);
    if (!checked.success) {
      const reason = `the decoded message breaks the normalized shape: ${z.prettifyError(checked.error).replace(/\s*\n\s*/g, " ")}`;
      return { ok: false, rejection: { code: "invalid-field", reason, topic } };
    }
    return dropped === undefined ? { ok: true, message } : { ok: true, message, dropped };
  } catch (error) {
    if (error instanceof DecodeFailure) {
      return { ok: false, rejection: { code: error.code, reason: error.reason, topic } };
    }
    // A reader missed a shape: still a rejection, never a crash of the caller.
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      rejection: { code: "invalid-field", reason: `cannot decode this payload: ${message}`, topic },
    };
  }
}
