/**
 * What to do with one MQTT message: forward a CloudEvent (for which station, placed where) or
 * reject it with a reason. Pure but for one memo: the decoder's answer is kept on the message, so
 * bridges sharing a message decode it once. The decoder is passed in; nothing here touches the network.
 */
import type { CloudEvent } from "cloudevents";
import { type CitsMessage, type DecodeResult, MAX_PAYLOAD_BYTES } from "../../functions/lib/cits/types.ts";
import { isStationInputType, parseEventData, STATION_INPUT_TYPES } from "../../functions/lib/events.ts";
import type { DeadLetterCode } from "./deadLetter.ts";
import { citsCloudEvent, type LatLon, positionOf } from "./event.ts";
import { mqttCloudEvent, type UserProperties } from "./mqttCloudEvent.ts";
import { DEFAULT_MAX_CLOCK_AHEAD_MS, timeAheadRejection } from "./receiverClock.ts";

/** The C-ITS decoder's signature (functions/lib/cits/decode.ts). */
export type Decode = (topic: string, payload: Buffer, receivedAtMs?: number) => DecodeResult;

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  receivedAtMs: number;
  /** MQTT 5 user properties (CloudEvents binary mode). */
  userProperties?: UserProperties;
  /** MQTT 5 Content Type. */
  contentType?: string;
  /**
   * The decoder's answer, kept on the message: bridges in one process that share each message
   * (the embedded stack) decode it once.
   */
  decoded?: DecodeResult;
  /** Its CloudEvent id (event.ts), when worked out ahead with the decoding. */
  eventId?: string;
}

export type Classified =
  | {
      kind: "forward";
      event: CloudEvent<unknown>;
      stationId: string;
      position: LatLon | undefined;
      /** Label for the metrics: the C-ITS type. */
      messageType: string;
    }
  | { kind: "reject"; code: DeadLetterCode; reason: string };

const SPECVERSION = Buffer.from('"specversion"');

/** Its MQTT 5 properties say it is a CloudEvent (binary or structured mode). */
export function declaresCloudEvent(message: InboundMessage): boolean {
  return (
    message.userProperties?.specversion !== undefined ||
    message.contentType?.toLowerCase().startsWith("application/cloudevents") === true
  );
}

/** Its payload may be a structured-mode CloudEvent. */
export function payloadMightBeCloudEvent(payload: Buffer): boolean {
  return payload.includes(SPECVERSION);
}

export function mightBeCloudEvent(message: InboundMessage): boolean {
  return declaresCloudEvent(message) || payloadMightBeCloudEvent(message.payload);
}

/** `maxClockAheadMs`: how far ahead of the receipt time a station's time may be (receiverClock.ts). */
export function classify(
  message: InboundMessage,
  mec: string,
  decode: Decode,
  maxClockAheadMs = DEFAULT_MAX_CLOCK_AHEAD_MS,
): Classified {
  if (message.payload.byteLength > MAX_PAYLOAD_BYTES) {
    return {
      kind: "reject",
      code: "too-large",
      reason: `payload of ${message.payload.byteLength} bytes exceeds the limit of ${MAX_PAYLOAD_BYTES}`,
    };
  }
  // A message another bridge already decoded is known not to be a CloudEvent.
  if (message.decoded === undefined && mightBeCloudEvent(message)) {
    const result = mqttCloudEvent(message.payload, message.userProperties, message.contentType);
    if (result.kind === "event") return stationCloudEvent(result.event);
    if (result.kind === "invalid")
      return { kind: "reject", code: "invalid-cloudevent", reason: result.reason };
  }
  const decoded = message.decoded ?? decode(message.topic, message.payload, message.receivedAtMs);
  message.decoded = decoded;
  if (!decoded.ok) return { kind: "reject", code: decoded.rejection.code, reason: decoded.rejection.reason };
  const ahead = timeAheadRejection(decoded.message.timeMs, message.receivedAtMs, maxClockAheadMs);
  if (ahead !== undefined) return { kind: "reject", code: "time-ahead", reason: ahead };
  return new CitsForward(decoded.message, mec, message);
}

/**
 * A CloudEvent a station published: forwarded only when it is C-ITS input that fits the catalog,
 * for the station its data names. Stations never speak for vvcu's functions (migration.requested
 * moves a twin), and the filter and the twin must see the same station.
 */
function stationCloudEvent(event: CloudEvent<unknown>): Classified {
  if (!isStationInputType(event.type)) {
    return {
      kind: "reject",
      code: "refused-event-type",
      reason: `CloudEvent type "${event.type.slice(0, 100)}" may not come from a station's topic; only ${STATION_INPUT_TYPES.join(", ")} may`,
    };
  }
  const data = parseEventData(event.type, event.data);
  if (!data.ok) {
    return {
      kind: "reject",
      code: "invalid-cloudevent",
      reason: `the data of a ${event.type} does not fit the event catalog: ${data.reason.slice(0, 300)}`,
    };
  }
  const normalized = data.data as CitsMessage;
  if (event.subject !== undefined && event.subject !== normalized.stationId) {
    return {
      kind: "reject",
      code: "invalid-cloudevent",
      reason: `CloudEvent subject "${event.subject.slice(0, 100)}" is not the station of its data (${normalized.stationId})`,
    };
  }
  return {
    kind: "forward",
    event,
    stationId: normalized.stationId,
    position: positionOf(normalized),
    messageType: normalized.type,
  };
}

/**
 * A C-ITS message to forward, whose CloudEvent is built when first read: a bridge that filters the
 * station out (every MEC but its home, in the embedded stack) never pays for the event's id hash
 * and attributes.
 */
class CitsForward {
  readonly kind = "forward";
  readonly stationId: string;
  readonly position: LatLon | undefined;
  readonly messageType: string;
  private built: CloudEvent<unknown> | undefined;

  constructor(
    private readonly normalized: CitsMessage,
    private readonly mec: string,
    private readonly message: InboundMessage,
  ) {
    this.stationId = normalized.stationId;
    this.position = positionOf(normalized);
    this.messageType = normalized.type;
  }

  get event(): CloudEvent<unknown> {
    this.built ??= citsCloudEvent(this.normalized, {
      mec: this.mec,
      topic: this.message.topic,
      payload: this.message.payload,
      ...(this.message.eventId === undefined ? {} : { eventId: this.message.eventId }),
    });
    return this.built;
  }
}
