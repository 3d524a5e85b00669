/**
 * The worker threads' side of the way to the bridges (brokerWorker.ts, subscriberWorker.ts):
 * messages collected for one turn of the thread's event loop, decoded here with their CloudEvent
 * ids, and sent to the main thread as one batch, their payloads in one transferred buffer.
 *
 * Back-pressure: the main thread says how many messages the bridges have taken. While MAX_AHEAD
 * are on their way, `room()` makes the caller wait before it takes the next message.
 */
import { declaresCloudEvent, payloadMightBeCloudEvent } from "../../../bridges/mqtt/classify.ts";
import { eventId } from "../../../bridges/mqtt/event.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import {
  type DecodedMessage,
  type FromBroker,
  MAX_AHEAD,
  type MessageBatch,
  type MessageExtras,
} from "./protocol.ts";

/** Messages per batch sent to the main thread. */
const MAX_BATCH = 1_024;

export interface Received {
  topic: string;
  payload: Buffer;
  receivedAtMs: number;
  /** What an MQTT session knows of a message beyond topic and payload; none inside Aedes. */
  extras?: MessageExtras;
}

/** The decoding the bridges' own code (classify.ts) uses, and the CloudEvent id of a valid message. */
function decodeAhead(topic: string, payload: Buffer, receivedAtMs: number): DecodedMessage {
  const decoded = decode(topic, payload, receivedAtMs);
  return decoded.ok ? { decoded, eventId: eventId(topic, payload) } : { decoded };
}

export class BatchOut {
  private outbox: Received[] = [];
  private flushScheduled = false;
  /** Messages sent (or about to be) that the bridges have not taken yet. */
  private ahead = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly send: (batch: MessageBatch, transfer: ArrayBuffer[]) => void) {}

  get hasRoom(): boolean {
    return this.ahead < MAX_AHEAD;
  }

  /** Calls `resume` once there is room again (at once when there is). */
  whenRoom(resume: () => void): void {
    if (this.hasRoom) resume();
    else this.roomWaiters.push(resume);
  }

  push(message: Received): void {
    this.outbox.push(message);
    this.ahead++;
    if (this.outbox.length >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The main thread took `count` messages: room for as many more. */
  taken(count: number): void {
    this.ahead = Math.max(0, this.ahead - count);
    if (!this.hasRoom || this.roomWaiters.length === 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resume of waiters) resume();
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    let bytes = 0;
    for (const message of batch) bytes += message.payload.byteLength;
    const buffer = Buffer.allocUnsafeSlow(bytes);
    const work: MessageBatch = {
      kind: "messages",
      topics: [],
      ends: [],
      receivedAtMs: [],
      buffer: buffer.buffer as ArrayBuffer,
      answers: [],
    };
    const extras: (MessageExtras | null)[] = [];
    let offset = 0;
    for (const message of batch) {
      const { topic, payload, receivedAtMs } = message;
      payload.copy(buffer, offset);
      offset += payload.byteLength;
      work.topics.push(topic);
      work.ends.push(offset);
      work.receivedAtMs.push(receivedAtMs);
      extras.push(message.extras ?? null);
      // A CloudEvent is the bridge's to recognise: no answer, so classify.ts looks.
      const answer: DecodedMessage =
        payloadMightBeCloudEvent(payload) ||
        (message.extras !== undefined && declaresCloudEvent({ ...message, ...message.extras }))
          ? {}
          : decodeAhead(topic, payload, receivedAtMs);
      work.answers.push(answer);
    }
    if (extras.some((extra) => extra !== null)) work.extras = extras;
    this.send(work, [work.buffer]);
  }
}

/** The answers to the main thread's publications, sent once per turn of the event loop. */
export class PublishedAnswers {
  private batch: { ids: number[]; errors: (string | undefined)[] } = { ids: [], errors: [] };
  private scheduled = false;

  constructor(private readonly send: (message: FromBroker) => void) {}

  answer(id: number, error: Error | undefined | null): void {
    this.batch.ids.push(id);
    this.batch.errors.push(error ? error.message : undefined);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.batch;
      this.batch = { ids: [], errors: [] };
      this.send({ kind: "published", ...batch });
    });
  }
}
