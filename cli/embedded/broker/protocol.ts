/**
 * What the threads that bring the bridges their messages (the embedded broker's, brokerWorker.ts;
 * the external broker's subscriber, subscriberWorker.ts) and the main thread (fanOut.ts) say to
 * each other.
 */
import type { UserProperties } from "../../../bridges/mqtt/mqttCloudEvent.ts";
import type { DecodeResult } from "../../../functions/lib/cits/types.ts";

/**
 * Messages on their way to the bridges, above which the thread stops taking more from its
 * publishers (or its session). Everything behind them waits (probes included), so a deeper queue
 * adds latency; a shallower one held the publisher back at every burst: with 1,000 the embedded
 * stack sustained 7,000 msg/s in the e2e bench instead of 10,000.
 */
export const MAX_AHEAD = 4_000;

/** What the thread learnt of one message: its decoding and event id; empty for a possible CloudEvent. */
export interface DecodedMessage {
  decoded?: DecodeResult;
  eventId?: string;
}

export interface BrokerThreadData {
  /** The worker's module, loaded by workerBootstrap.mjs. */
  entry: string;
  port: number;
  host: string;
  /** With these, a client gets in only with both (credentials.ts). */
  credentials?: { username: string; password: string };
  /** With these, the broker speaks MQTT over TLS only. */
  tls?: { cert: string; key: string };
}

export interface SubscriberThreadData {
  entry: string;
  url: string;
  /** The stack's one session: persistent, so a restarted thread gets what was not acknowledged. */
  clientId: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  protocolVersion: 4 | 5;
  /** The bridges' topics. */
  topics: string[];
  /** MQTT 5: unacknowledged messages the broker may have on their way to the session. */
  receiveMaximum: number;
  connectTimeoutMs: number;
  publishTimeoutMs: number;
  /** Tickets of this thread start here: a restarted thread's never meet an earlier one's. */
  firstTicket: number;
}

/** A batch of messages on the bridges' topics, decoded, in the order the broker took them. */
export interface MessageBatch {
  kind: "messages";
  topics: string[];
  /** Where each payload ends in `buffer`. */
  ends: number[];
  receivedAtMs: number[];
  /** The payloads, one after the other, handed over without a copy. */
  buffer: ArrayBuffer;
  answers: DecodedMessage[];
  /** Per message, what a session over the network knows beyond topic and payload (null: nothing). */
  extras?: (MessageExtras | null)[];
}

export interface MessageExtras {
  userProperties?: UserProperties;
  contentType?: string;
  redelivered?: boolean;
  /**
   * The message waits for its acknowledgement: the main thread answers "done" with this ticket
   * once every bridge it went to is done with it (delivered, filtered out or dead-lettered).
   */
  ticket?: number;
}

export type FromBroker =
  | { kind: "listening"; port: number }
  | { kind: "listen-failed"; code: string | undefined; message: string }
  | MessageBatch
  /** Publications the broker has taken: their ids, and an error where it refused one. */
  | { kind: "published"; ids: number[]; errors: (string | undefined)[] }
  /** The broker closed a client that would have held others up: why. */
  | { kind: "client-closed"; reason: string; remote: string }
  /** The subscriber's session: whether it is connected to the broker now. */
  | { kind: "connection"; connected: boolean }
  | { kind: "closed" };

export interface Publication {
  id: number;
  topic: string;
  payload: string | Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

/** Publications of one turn (publications.ts): payloads one after the other in `buffer`. */
export interface PublicationBatch {
  kind: "publish";
  ids: number[];
  topics: string[];
  /** QoS in bit 0, retain in bit 1. */
  flags: number[];
  /** Where each payload ends in `buffer`. */
  ends: number[];
  buffer: ArrayBuffer;
}

export type ToBroker =
  /** Topic filters the bridges read (counted: two bridges may read one filter). */
  | { kind: "subscribe"; filters: string[] }
  | { kind: "unsubscribe"; filters: string[] }
  /** How many of the messages sent the bridges have taken: room for as many more. */
  | { kind: "taken"; count: number }
  /** Tickets of messages every bridge is done with: their acknowledgements may go out. */
  | { kind: "done"; tickets: number[] }
  | PublicationBatch
  | { kind: "close" };
