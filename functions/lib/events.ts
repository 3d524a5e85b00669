/**
 * The event catalog: every CloudEvent type vvcu emits or consumes, in one place.
 * Knative Triggers (knative/), the embedded router, the functions and docs/events.md
 * all derive from this module.
 */
import { randomUUID } from "node:crypto";
import { CloudEvent } from "cloudevents";
import { z } from "zod";
import {
  CamMessageSchema,
  CpmMessageSchema,
  DenmMessageSchema,
  LogsMessageSchema,
  type MessageType,
  VamMessageSchema,
} from "./cits/types.ts";
import { MigrationRequestSchema, MigrationSchema } from "./model/migration.ts";
import { TwinSchema } from "./model/twin.ts";

export const EVENT_TYPE_PREFIX = "io.vvcu";

/** CloudEvents extension attributes vvcu sets (names: lower-case a-z0-9, at most 20 chars). */
export const EXTENSIONS = {
  /** Lower-case C-ITS message type: cam, cpm, denm, vam, logs. */
  messageType: "vvcumsgtype",
  /** ITS-centre quadkey tile of the message, when known. */
  quadkey: "vvcuquadkey",
  /** MEC the event was produced in. */
  mec: "vvcumec",
  /** Migration id, on migration.* events. */
  migration: "vvcumigration",
  /** W3C trace context (CloudEvents distributed-tracing extension). */
  traceparent: "traceparent",
  /**
   * "true" on a C-ITS event the bridge forwards because a migration is bringing the station's twin
   * to its MEC (the twin CNF is not hydrated yet): the twin function parks it, never creates the twin.
   */
  arriving: "vvcuarriving",
} as const;

const TwinEventDataSchema = z.object({ twin: TwinSchema });
const TwinExpiredDataSchema = z.object({ id: z.string(), mec: z.string(), lastSeen: z.string() });
const MigrationEventDataSchema = z.object({ migration: MigrationSchema });

export const EVENT_CATALOG = {
  "io.vvcu.cits.cam.received": {
    description: "A CAM (cooperative awareness) from a vehicle or RSU, decoded and normalized.",
    producer: "bridge",
    data: CamMessageSchema,
  },
  "io.vvcu.cits.cpm.received": {
    description: "A CPM (collective perception) with its perceived objects in lat/lon.",
    producer: "bridge",
    data: CpmMessageSchema,
  },
  "io.vvcu.cits.denm.received": {
    description: "A DENM (decentralized environmental notification): a hazard event and its validity.",
    producer: "bridge",
    data: DenmMessageSchema,
  },
  "io.vvcu.cits.vam.received": {
    description: "A VAM (vulnerable road user awareness).",
    producer: "bridge",
    data: VamMessageSchema,
  },
  "io.vvcu.cits.logs.received": {
    description: "A station log: LOGS/network (flow) or LOGS/access (signal quality).",
    producer: "bridge",
    data: LogsMessageSchema,
  },
  "io.vvcu.twin.created": {
    description: "A twin was created the first time its station was seen.",
    producer: "twin",
    data: TwinEventDataSchema,
  },
  "io.vvcu.twin.updated": {
    description: "A twin's state changed (coalesced per twin).",
    producer: "twin",
    data: TwinEventDataSchema,
  },
  "io.vvcu.twin.expired": {
    description: "A twin was removed after its station stayed quiet past the expiry period.",
    producer: "twin",
    data: TwinExpiredDataSchema,
  },
  "io.vvcu.migration.requested": {
    description: "Somebody (the geofence or the API) asked for a twin to move to another MEC.",
    producer: "geofence, manager",
    data: MigrationRequestSchema,
  },
  "io.vvcu.migration.started": {
    description: "The migration was reserved and the twin is being placed at the target.",
    producer: "migration",
    data: MigrationEventDataSchema,
  },
  "io.vvcu.migration.ready": {
    description: "The twin is ready at the target: subscribed and hydrated (time until ready is set).",
    producer: "migration",
    data: MigrationEventDataSchema,
  },
  "io.vvcu.migration.completed": {
    description: "The twin's home switched and the source was released (time until done is set).",
    producer: "migration",
    data: MigrationEventDataSchema,
  },
  "io.vvcu.migration.failed": {
    description: "The migration failed; the record carries the error.",
    producer: "migration",
    data: MigrationEventDataSchema,
  },
  "io.vvcu.migration.rolledback": {
    description: "The migration failed before the switch and was undone; the twin stays at the source.",
    producer: "migration",
    data: MigrationEventDataSchema,
  },
} as const satisfies Record<string, { description: string; producer: string; data: z.ZodType }>;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]["data"]>;
export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

export function citsEventType(type: MessageType): EventType {
  return `${EVENT_TYPE_PREFIX}.cits.${type}.received` as EventType;
}

export const CITS_EVENT_TYPES = EVENT_TYPES.filter((type) => type.startsWith(`${EVENT_TYPE_PREFIX}.cits.`));
export const MIGRATION_OUTCOME_TYPES: EventType[] = [
  "io.vvcu.migration.started",
  "io.vvcu.migration.ready",
  "io.vvcu.migration.completed",
  "io.vvcu.migration.failed",
  "io.vvcu.migration.rolledback",
];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_CATALOG, type);
}

/**
 * The types a CloudEvent arriving on a station's MQTT topic may have: the C-ITS input the bridge
 * produces itself. Control events (twin.*, migration.*) come only from vvcu's own functions; one
 * published by a station would let anyone who can publish move twins.
 */
export const STATION_INPUT_TYPES: readonly EventType[] = EVENT_TYPES.filter(
  (type) => EVENT_CATALOG[type].producer === "bridge",
);

export function isStationInputType(type: string): type is EventType {
  return isEventType(type) && EVENT_CATALOG[type].producer === "bridge";
}

/** Validates an event's data against the catalog; returns the reason when it does not fit. */
/**
 * Event data objects this process built with the catalog's types and handed to in-process
 * subscribers (the embedded stack): parseEventData takes them as they are instead of copying
 * them through zod again, which was a tenth of the embedded stack's CPU time. Data that came
 * over the network is never in here.
 */
const ownEventData = new WeakSet<object>();

/** Marks `data` as built here, typed as the catalog's data of `type`; returns it. */
export function markOwnEventData<T extends EventType, D extends EventData<T>>(_type: T, data: D): D {
  ownEventData.add(data);
  return data;
}

export function parseEventData<T extends EventType>(
  type: T,
  data: unknown,
): { ok: true; data: EventData<T> } | { ok: false; reason: string } {
  if (typeof data === "object" && data !== null && ownEventData.has(data)) {
    return { ok: true, data: data as EventData<T> };
  }
  const result = EVENT_CATALOG[type].data.safeParse(data);
  if (result.success) return { ok: true, data: result.data as EventData<T> };
  return { ok: false, reason: z.prettifyError(result.error) };
}

/** The CloudEvents `source` of a vvcu component in a MEC. */
export function eventSource(mec: string, component: string): string {
  return `/vvcu/${mec}/${component}`;
}

/** The extension attributes each event type carries (traceparent whenever the cause had one). */
export type ExtensionKey = keyof typeof EXTENSIONS;
export const EVENT_EXTENSIONS = Object.fromEntries(
  EVENT_TYPES.map((type): [EventType, readonly ExtensionKey[]] => [
    type,
    type.startsWith(`${EVENT_TYPE_PREFIX}.cits.`)
      ? ["messageType", "quadkey", "mec", "traceparent", "arriving"]
      : type.startsWith(`${EVENT_TYPE_PREFIX}.migration.`)
        ? ["migration", "mec", "traceparent"]
        : ["mec", "traceparent"],
  ]),
) as Record<EventType, readonly ExtensionKey[]>;

/** Date's own limit: instants beyond ±8.64e15 ms are invalid dates. */
const MAX_DATE_MS = 8.64e15;
let isoSecond = Number.NaN;
let isoSecondPrefix = "";

/**
 * `new Date(ms).toISOString()` (the CloudEvents `time` of an instant), or undefined for a time
 * no Date can hold. Formatting a Date cost over a microsecond per event here; the text up to
 * the second is remembered, so events of the same second only append their milliseconds.
 */
export function isoTimeOf(ms: number): string | undefined {
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return undefined;
  const whole = Math.trunc(ms);
  const second = Math.floor(whole / 1000);
  if (second !== isoSecond) {
    // "…T08:00:01.000Z" without "000Z"
    isoSecondPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    isoSecond = second;
  }
  const millis = whole - second * 1000;
  return `${isoSecondPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

/** The attributes of an event vvcu builds itself; anything else is an extension. */
export interface OwnEventAttributes<T> {
  type: EventType;
  source: string;
  subject?: string;
  /** Default: a random UUID. */
  id?: string;
  /** Default: now. */
  time?: string;
  specversion?: "1.0";
  datacontenttype?: string;
  data: T;
  [extension: string]: unknown;
}

/** Attributes the SDK's constructor handles itself: with any of them set, it builds the event. */
const SPECIAL_ATTRIBUTES = ["data_base64", "datacontentencoding", "dataschema", "schemaurl"] as const;
const CORE_ATTRIBUTES = new Set<string>([
  "id",
  "time",
  "type",
  "source",
  "specversion",
  "datacontenttype",
  "subject",
  "data",
  ...SPECIAL_ATTRIBUTES,
]);

/**
 * The CloudEvent the SDK's `new CloudEvent(attributes, false)` gives (same prototype, own
 * attributes in the same order, frozen), without its generic work: a copy of the attributes
 * with a `delete` per known one, a regular expression per extension, binary checks. That was
 * most of the cost of an event on the embedded stack's hot paths (twin.updated, bridged CAMs).
 * For attributes this process built (a catalog type, its own source, extension names of
 * EXTENSIONS, validated data); anything unusual (binary data, v0.3 attributes) goes through
 * the SDK. A unit test holds it equal to the SDK's constructor.
 */
export function ownCloudEvent<T>(attributes: OwnEventAttributes<T>): CloudEvent<T> {
  if (
    (attributes.specversion !== undefined && attributes.specversion !== "1.0") ||
    ArrayBuffer.isView(attributes.data) ||
    SPECIAL_ATTRIBUTES.some((name) => attributes[name] !== undefined)
  ) {
    return new CloudEvent<T>(attributes, false);
  }
  const event = Object.create(CloudEvent.prototype) as Record<string, unknown>;
  // The SDK's order of assignment, so the events serialize alike.
  event.id = attributes.id || randomUUID();
  event.time = attributes.time || isoTimeOf(Date.now());
  event.type = attributes.type;
  event.source = attributes.source;
  event.specversion = "1.0";
  event.datacontenttype = attributes.datacontenttype;
  event.subject = attributes.subject;
  event.datacontentencoding = undefined;
  event.dataschema = undefined;
  event.data_base64 = undefined;
  event.schemaurl = undefined;
  event.data = attributes.data;
  for (const name in attributes) {
    if (Object.hasOwn(attributes, name) && !CORE_ATTRIBUTES.has(name)) event[name] = attributes[name];
  }
  return Object.freeze(event) as unknown as CloudEvent<T>;
}
