/** The bridge's options, statistics and handle (bridge.ts runs it). */
import type { Logger } from "../../functions/lib/log.ts";
import type { BackoffPolicy } from "../../functions/lib/runtime/backoff.ts";
import type { EventSink } from "../../functions/lib/runtime/emit/sink.ts";
import type { Decode, InboundMessage } from "./classify.ts";
import type { DeadLetterCode } from "./deadLetter.ts";
import type { ShouldForward } from "./filter.ts";
import type { MqttSourceOptions } from "./mqttSource.ts";
import type { SourceFactory } from "./source.ts";

export interface BridgeOptions {
  /** The MEC this bridge serves: the event source, the `vvcumec` extension and the metrics label. */
  mec: string;
  mqtt: Omit<MqttSourceOptions, "onMessage" | "logger" | "topics" | "clientId" | "receiveMaximum"> & {
    clientId?: string;
    topics?: readonly string[];
  };
  /**
   * Takes the messages from somewhere else than an MQTT session to `mqtt.url` (the embedded
   * stack subscribes inside its own broker); `mqtt.topics` still names what to take.
   */
  source?: SourceFactory;
  /**
   * Wraps whichever source the bridge uses, e.g. to decode its messages on another thread first
   * (the embedded stack with an external broker).
   */
  wrapSource?: (start: SourceFactory) => SourceFactory;
  sink: EventSink;
  deadLetterTopic?: string;
  shouldForward?: ShouldForward;
  /** Deliveries in flight at once (different stations). */
  concurrency?: number;
  /** Messages held (queued or in flight) before the bridge stops reading from the broker. */
  capacity?: number;
  /** How long close() lets the queue drain before giving up (the rest is redelivered later). */
  drainTimeoutMs?: number;
  retryPolicy?: BackoffPolicy;
  /** Port of /metrics, /health, /ready; undefined: no server (the embedded stack has its own). */
  httpPort?: number;
  httpHost?: string;
  /** How far ahead of the receiver's clock a station's time may be; default receiverClock.ts. */
  maxClockAheadMs?: number;
  /** When set, /metrics needs `Authorization: Bearer <token>` (VVCU_API_TOKEN). */
  apiToken?: string;
  /** The C-ITS decoder; default functions/lib/cits/decode.ts. */
  decode?: Decode;
  logger?: Logger;
  /**
   * Whether this bridge reports a malformed message (dead-letter record, rejection metric).
   * Bridges that share one subscription's messages (the embedded stack) let the first one claim
   * it, so each bad message is reported once; default: always.
   */
  claimRejection?: (message: InboundMessage) => boolean;
  /** Called on close, after the bridge stopped (e.g. the home informer). */
  onClose?: () => Promise<void>;
}

export interface BridgeStats {
  received: number;
  forwarded: number;
  filtered: number;
  rejected: Partial<Record<DeadLetterCode, number>>;
  retries: number;
  /** Messages the broker sent again (DUP flag): delivered more than once downstream, same event id. */
  redelivered: number;
  queued: number;
  connected: boolean;
}

export interface RunningBridge {
  close(): Promise<void>;
  stats(): BridgeStats;
  /** Port of the HTTP server, when one was started. */
  port: number | undefined;
  isReady(): boolean;
}
