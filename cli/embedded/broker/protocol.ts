/** What the embedded broker's thread (brokerWorker.ts) and the main thread (brokerThread.ts) say to each other. */
import type { DecodedMessage } from "../decoder/decoderThread.ts";

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
}

export type FromBroker =
  | { kind: "listening"; port: number }
  | { kind: "listen-failed"; code: string | undefined; message: string }
  | MessageBatch
  /** Publications the broker has taken: their ids, and an error where it refused one. */
  | { kind: "published"; ids: number[]; errors: (string | undefined)[] }
  /** The broker closed a client that would have held others up: why. */
  | { kind: "client-closed"; reason: string; remote: string }
  | { kind: "closed" };

export interface Publication {
  id: number;
  topic: string;
  payload: string | Uint8Array;
  qos: 0 | 1;
  retain: boolean;
}

export type ToBroker =
  /** Topic filters the bridges read (counted: two bridges may read one filter). */
  | { kind: "subscribe"; filters: string[] }
  | { kind: "unsubscribe"; filters: string[] }
  /** How many of the messages sent the bridges have taken: room for as many more. */
  | { kind: "taken"; count: number }
  | { kind: "publish"; publications: Publication[] }
  | { kind: "close" };
