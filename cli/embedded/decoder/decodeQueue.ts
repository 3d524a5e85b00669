/**
 * Messages waiting for the decoder thread, handed on in the order they came once their answers are
 * back (handOnQueue.ts). A message whose MQTT 5 properties declare a CloudEvent is not sent there
 * (the thread does not see them), and the thread does not decode one whose payload may be a
 * CloudEvent: the bridge recognises those itself.
 */
import { declaresCloudEvent } from "../../../bridges/mqtt/classify.ts";
import { HandOnQueue } from "../handOnQueue.ts";
import type { Awaiting, DecoderThread } from "./decoderThread.ts";

/**
 * Messages waiting, above which the source stops reading from its publishers. Everything behind
 * them waits (probes included), so a deeper queue adds latency; a shallower one held the
 * publisher back at every burst: with 1,000 the embedded stack sustained 7,000 msg/s in the e2e
 * bench instead of 10,000, for a p99 at 1,000 vehicles of 675 ms instead of 820.
 */
export const MAX_AHEAD = 4_000;

export class DecodeQueue<T extends Awaiting> {
  private readonly queue: HandOnQueue<T>;
  private readonly stopListening: () => void;

  constructor(
    private readonly thread: DecoderThread,
    /** Takes the next message; a promise means "full: wait before the next". */
    handOn: (item: T) => Promise<void> | undefined,
  ) {
    this.queue = new HandOnQueue<T>({ handOn, isReady: (item) => item.decodedAhead, maxWaiting: MAX_AHEAD });
    this.stopListening = thread.onDecoded(() => void this.queue.drain());
  }

  /** Stops handing on (the source closed); what still waits is dropped. */
  close(): void {
    this.stopListening();
    this.queue.close();
  }

  get size(): number {
    return this.queue.size;
  }

  /** Queues a message and sends it to be decoded (unless it may be a CloudEvent). */
  push(item: T): void {
    if (declaresCloudEvent(item.message)) item.decodedAhead = true;
    else this.thread.submit(item);
    this.queue.push(item);
  }

  /** Resolves once fewer than MAX_AHEAD messages wait: undefined when that is already so. */
  room(): Promise<void> | undefined {
    return this.queue.room();
  }
}
