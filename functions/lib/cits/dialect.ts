/**
 * Dialects: what the MQTT topic says (station, type, quadkey, default units) and where the
 * message sits inside the payload. Topics (docs/architecture.md "Input the bridge accepts"):
 *   vanetza/out/<type>                                   vanetza-nap output envelope
 *   vanetza/in/<type>                                    the body an application publishes to vanetza
 *   its_center/inqueue/json/<station>/<TYPE>/<q>/<q>/..  ITS-centre feed, one quadkey digit per level
 *   obu/inqueue/json/<station>/<TYPE>                    per-station feed, also LOGS/network, LOGS/access
 * An empty topic means "no topic" (`vvcu decode` without --topic): the payload alone decides.
 *
 * Payload shapes, recognised whatever the topic:
 *   envelope {stationID, timestamp, fields: {header, cam | cpm | denm | vam | payload}}
 *   nested   {"CAM": {header, cam: {...}}} / {"CPM": {cpm: {cpmParameters: ...}}}
 *   plain    {header, cam: {...}} (ITS-centre) or the message body itself (vanetza/in).
 */
import { quadkeyFromTopicLevels } from "../geo/quadkey.ts";
import { fail, isObject, type JsonObject, joinPath, objectAt } from "./read.ts";
import type { Dialect, MessageType, UnitSystem } from "./types.ts";

export type ItsMessageType = Exclude<MessageType, "logs">;
const ITS_TYPES: readonly ItsMessageType[] = ["cam", "cpm", "denm", "vam"];
const UPPER_KEYS: Record<ItsMessageType, string> = { cam: "CAM", cpm: "CPM", denm: "DENM", vam: "VAM" };
/** ItsPduHeader messageId values (TS 102 894-2). */
const MESSAGE_IDS: Record<number, ItsMessageType> = { 1: "denm", 2: "cam", 14: "cpm", 16: "vam" };

export interface Route {
  dialect: Dialect;
  /** Message type named by the topic; undefined when the payload must tell. */
  type?: MessageType;
  stationId?: string;
  quadkey?: string;
  logsKind?: "network" | "access";
  defaultUnits: UnitSystem;
}

function itsType(name: string): ItsMessageType | undefined {
  const lower = name.toLowerCase();
  return (ITS_TYPES as readonly string[]).includes(lower) ? (lower as ItsMessageType) : undefined;
}

function requireType(name: string | undefined, topic: string): ItsMessageType {
  const type = name === undefined ? undefined : itsType(name);
  if (type === undefined) {
    fail(
      "unknown-message-type",
      `topic ${topic} names message type '${name ?? ""}'; vvcu decodes CAM, CPM, DENM, VAM and LOGS/network, LOGS/access`,
    );
  }
  return type;
}

function requireStation(id: string | undefined, topic: string): string {
  if (id === undefined || id === "")
    fail("missing-station-id", `topic ${topic} has an empty station id level`);
  return id;
}

const ACCEPTED_TOPICS =
  "vanetza/out/<type>, vanetza/in/<type>, its_center/inqueue/json/<station>/<TYPE>/<quadkey digits>, obu/inqueue/json/<station>/<TYPE>";

const ROUTE_CACHE_SIZE = 4096;
const routeCache = new Map<string, Route>();

/** The route of a topic; rejects topics vvcu does not read and types it does not decode. */
export function routeTopic(topic: string): Route {
  const cached = routeCache.get(topic);
  if (cached !== undefined) return cached;
  const route = parseTopic(topic);
  // Topics repeat (one or a few per station); a full cache starts over rather than growing.
  if (routeCache.size >= ROUTE_CACHE_SIZE) routeCache.clear();
  routeCache.set(topic, route);
  return route;
}

function parseTopic(topic: string): Route {
  if (topic === "") return { dialect: "plain", defaultUnits: "transformed" };
  const levels = topic.split("/");
  const [first, second, third] = levels;
  if (first === "vanetza" && (second === "out" || second === "in") && levels.length === 3) {
    return {
      dialect: second === "out" ? "vanetza-out" : "vanetza-in",
      type: requireType(third, topic),
      // vanetza-nap converts what it is given as it converts what it emits: both in its units.
      defaultUnits: "transformed",
    };
  }
  if (first === "its_center" && second === "inqueue" && third === "json" && levels.length >= 5) {
    const digits = levels.slice(5);
    let quadkey: string | undefined;
    if (digits.length > 0) {
      const parsed = quadkeyFromTopicLevels(levels);
      if (!parsed.ok) fail("unknown-topic", `topic ${topic}: ${parsed.reason}`);
      quadkey = parsed.quadkey;
    }
    return {
      dialect: "its-center",
      stationId: requireStation(levels[3], topic),
      type: requireType(levels[4], topic),
      ...(quadkey !== undefined ? { quadkey } : {}),
      defaultUnits: "raw",
    };
  }
  if (first === "obu" && second === "inqueue" && third === "json" && levels.length >= 5) {
    const stationId = requireStation(levels[3], topic);
    const typeName = levels[4] as string;
    if (typeName.toUpperCase() === "LOGS") {
      const kind = levels[5]?.toLowerCase();
      if (levels.length !== 6 || (kind !== "network" && kind !== "access")) {
        fail("unknown-message-type", `topic ${topic}: station logs are LOGS/network or LOGS/access`);
      }
      return { dialect: "obu-feed", stationId, type: "logs", logsKind: kind, defaultUnits: "raw" };
    }
    if (levels.length !== 5) fail("unknown-topic", `topic ${topic} has levels after the message type`);
    return { dialect: "obu-feed", stationId, type: requireType(typeName, topic), defaultUnits: "raw" };
  }
  return fail("unknown-topic", `topic ${topic} is not one vvcu reads (${ACCEPTED_TOPICS})`);
}

export interface Located {
  type: ItsMessageType;
  /** The message itself: {generationDeltaTime, camParameters} and the like. */
  body: JsonObject;
  /** Dotted path of body inside the payload, for reasons. */
  bodyPath: string;
  header?: JsonObject;
  headerPath: string;
  shape: "envelope" | "nested" | "plain";
}

function sniffBodyType(body: JsonObject): ItsMessageType | undefined {
  if (body.camParameters !== undefined) return "cam";
  if (body.vamParameters !== undefined) return "vam";
  if (
    body.cpmParameters !== undefined ||
    body.cpmContainers !== undefined ||
    body.managementContainer !== undefined
  )
    return "cpm";
  if (body.management !== undefined && body.situation !== undefined) return "denm";
  if (body.latitude !== undefined && body.longitude !== undefined) return "cam";
  return undefined;
}

/** Finds the message inside the payload; `expected` is the type the topic named, if any. */
export function locate(root: JsonObject, expected: ItsMessageType | undefined): Located {
  let level = root;
  let levelPath = "";
  let shape: Located["shape"] = "plain";
  let type = expected;
  const fields = objectAt(root, "fields", "");
  if (fields !== undefined) {
    level = fields;
    levelPath = "fields";
    shape = "envelope";
  } else {
    for (const candidate of ITS_TYPES) {
      const key = UPPER_KEYS[candidate];
      const wrapped = objectAt(root, key, "");
      if (wrapped === undefined) continue;
      if (type !== undefined && candidate !== type) {
        if (isObject(root[UPPER_KEYS[type]])) continue;
        fail("unknown-message-type", `the topic names ${type} but the payload carries ${key}`);
      }
      level = wrapped;
      levelPath = key;
      shape = "nested";
      type = candidate;
      break;
    }
  }
  const header = objectAt(level, "header", levelPath);
  const headerPath = joinPath(levelPath, "header");

  let carried: ItsMessageType | undefined;
  for (const candidate of ITS_TYPES) {
    if (!isObject(level[candidate])) continue;
    if (candidate === type) {
      carried = candidate;
      break;
    }
    carried ??= candidate;
  }
  if (type !== undefined && carried !== undefined && carried !== type) {
    fail("unknown-message-type", `the topic names ${type} but the payload carries ${carried}`);
  }
  if (type === undefined) type = carried;
  if (type === undefined && header !== undefined) {
    const id = header.messageId ?? header.messageID;
    if (typeof id === "number") type = MESSAGE_IDS[id];
  }
  const payloadBody = objectAt(level, "payload", levelPath);
  if (type === undefined && payloadBody !== undefined) type = sniffBodyType(payloadBody);
  if (type === undefined) type = sniffBodyType(level);
  if (type === undefined) {
    fail(
      "unknown-message-type",
      "cannot tell the message type: no cam, cpm, denm or vam in the payload, no header messageId, and no topic",
    );
  }
  const inner = objectAt(level, type, levelPath);
  if (inner !== undefined)
    return { type, body: inner, bodyPath: joinPath(levelPath, type), header, headerPath, shape };
  if (payloadBody !== undefined) {
    return { type, body: payloadBody, bodyPath: joinPath(levelPath, "payload"), header, headerPath, shape };
  }
  return { type, body: level, bodyPath: levelPath, header, headerPath, shape };
}
