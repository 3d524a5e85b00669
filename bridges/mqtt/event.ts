/**
 * The pure heart of the bridge: one accepted MQTT message becomes one CloudEvent from the catalog.
 * Same topic and payload bytes give the same event id (and trace id), so a message the broker
 * redelivers is recognisable downstream as a duplicate.
 */
import { createHash } from "node:crypto";
import type { CloudEvent } from "cloudevents";
import type { CitsMessage } from "../../functions/lib/cits/types.ts";
import {
  citsEventType,
  EXTENSIONS,
  eventSource,
  isoTimeOf,
  ownCloudEvent,
} from "../../functions/lib/events.ts";

export interface LatLon {
  lat: number;
  lon: number;
}

/** Hex SHA-1 of topic and payload, separated by a NUL so "a" + "bc" and "ab" + "c" differ. */
export function eventId(topic: string, payload: Uint8Array): string {
  return createHash("sha1").update(topic).update("\0").update(payload).digest("hex");
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * A W3C traceparent whose trace id is taken from the event id, so one CAM can be followed
 * through every log line that carries the trace id, without a tracing backend. The bridge's
 * own ids (eventId: a SHA-1 already) give their digits directly; any other id is hashed first.
 */
export function traceparentFor(id: string): string {
  const hex = SHA1_HEX.test(id) ? id : createHash("sha1").update(id).digest("hex");
  // The spec forbids all-zero ids; a hash makes that practically impossible, but stay valid anyway.
  const traceId = /^0+$/.test(hex.slice(0, 32)) ? `${hex.slice(0, 31)}1` : hex.slice(0, 32);
  const spanId = /^0+$/.test(hex.slice(24, 40)) ? `${hex.slice(24, 39)}1` : hex.slice(24, 40);
  return `00-${traceId}-${spanId}-01`;
}

/** The position the filter places a station by: where the message says the station (or event) is. */
export function positionOf(message: CitsMessage): LatLon | undefined {
  const position =
    message.type === "cpm"
      ? message.referencePosition
      : message.type === "denm"
        ? message.eventPosition
        : message.type === "logs"
          ? undefined
          : message.position;
  return position === undefined ? undefined : { lat: position.lat, lon: position.lon };
}

export interface EventContext {
  mec: string;
  topic: string;
  payload: Uint8Array;
  /** eventId(topic, payload), if already worked out. */
  eventId?: string;
}

/** The CloudEvent for a decoded C-ITS message (binary-mode ready: JSON data, extensions set). */
export function citsCloudEvent(message: CitsMessage, context: EventContext): CloudEvent<CitsMessage> {
  const id = context.eventId ?? eventId(context.topic, context.payload);
  const extensions: Record<string, string> = {
    [EXTENSIONS.messageType]: message.type,
    [EXTENSIONS.mec]: context.mec,
    [EXTENSIONS.traceparent]: traceparentFor(id),
  };
  if (message.origin.quadkey !== undefined) extensions[EXTENSIONS.quadkey] = message.origin.quadkey;
  // Every attribute is built from validated values: no schema check per message (the hot
  // path), and no SDK constructor work either. Unit tests validate the result.
  return ownCloudEvent<CitsMessage>({
    specversion: "1.0",
    id,
    type: citsEventType(message.type),
    source: eventSource(context.mec, "bridge"),
    subject: message.stationId,
    time: isoTimeOf(message.timeMs),
    datacontenttype: "application/json",
    data: message,
    ...extensions,
  });
}

/** The event with the `arriving` extension: its twin is on its way here by migration (filter.ts). */
export function markedArriving<T>(event: CloudEvent<T>): CloudEvent<T> {
  return event.cloneWith({ [EXTENSIONS.arriving]: "true" } as Partial<CloudEvent<T>>, false);
}
