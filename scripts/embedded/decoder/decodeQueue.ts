/**
 * Messages waiting for the decoder thread, handed on in the order they came once their answers are
 * back. A message whose MQTT 5 properties declare a CloudEvent is not sent there (the thread does
 * not see them), and the thread does not decode one whose payload may be a CloudEvent: the bridge
 * recognises those itself.
 *
 * Handing on stops while the receiver says it is full (a promise), and lets the event loop turn
 * after every MESSAGES_PER_TURN: one long run would hold up everything else on the thread (the
 * API, the twins' deliveries, the broker's reading) and with it every message's latency.
 */
import { declaresCloudEvent } from "../../../bridges/mqtt/classify.ts";
import type { Awaiting, DecoderThread } from "./decoderThread.ts";

/**
 * Messages waiting, above which the source stops reading from its publishers. Everything behind
 * them waits (probes included), so a deeper queue adds latency; a shallower one held the
 * publisher back at every burst: with 1,000 the embedded stack sustained 7,000 msg/s in the e2e
 * bench instead of 10,000, for a p99 at 1,000 vehicles of 675 ms instead of 820.
 */
export const MAX_AHEAD = 4_000;
/** Messages handed on before the event loop gets a turn. */
const MESSAGES_PER_TURN = 1_024;

export class DecodeQueue<T extends Awaiting> {
  private readonly items: (T | undefined)[] = [];
  private head = 0;
  private draining = false;
  private roomWaiters: (() => void)[] = [];
  private readonly stopListening: () => void;

  constructor(
    private readonly thread: DecoderThread,
    /** Takes the next message; a promise means "full: wait before the next". */
    private readonly handOn: (item: T) => Promise<void> | undefined,
  ) {
    this.stopListening = thread.onDecoded(() => void this.drain());
  }

  /** Stops handing on (the source closed); what still waits is dropped. */
  close(): void {
    this.stopListening();
    this.items.length = 0;
    this.head = 0;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Queues a message and sends it to be decoded (unless it may be a CloudEvent). */
  push(item: T): void {
    this.items.push(item);
    if (declaresCloudEvent(item.message)) {
      item.decodedAhead = true;
      void this.drain();
    } else {
      this.thread.submit(item);
    }
  }

  /** Resolves once fewer than MAX_AHEAD messages wait: undefined when that is already so. */
  room(): Promise<void> | undefined {
    if (this.size < MAX_AHEAD) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      let handed = 0;
      for (let item = this.items[this.head]; item?.decodedAhead; item = this.items[this.head]) {
        this.items[this.head++] = undefined;
        const full = this.handOn(item);
        if (full !== undefined) await full;
        if (this.head > 1_024 && this.head * 2 > this.items.length) {
          this.items.splice(0, this.head);
          this.head = 0;
        }
        if (this.roomWaiters.length > 0 && this.size < MAX_AHEAD) {
          const waiters = this.roomWaiters;
          this.roomWaiters = [];
          for (const resolve of waiters) resolve();
        }
        if (++handed % MESSAGES_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }
}
