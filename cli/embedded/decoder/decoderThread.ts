/**
 * The main thread's side of the decoder thread (decodeWorker.ts). Messages are sent in batches, one
 * per turn of the event loop, their payloads copied into one buffer that is handed over without a
 * second copy; answers come back in the same order and are kept on each message, where classify.ts
 * finds them. If the thread fails, the messages it held are passed on undecoded and the bridges
 * decode them (and every later one) themselves: slower, nothing lost.
 */
import { Worker } from "node:worker_threads";
import type { InboundMessage } from "../../../bridges/mqtt/classify.ts";
import type { DecodeResult } from "../../../functions/lib/cits/types.ts";
import type { Logger } from "../../../functions/lib/log.ts";

export interface DecodeBatch {
  topics: string[];
  /** Where each payload ends in `buffer`. */
  ends: number[];
  receivedAtMs: number[];
  buffer: ArrayBuffer;
  /** How many queues receive a copy of each message (one per bridge session with MQTT_URL). */
  readers: number;
}

/** What the thread learnt of one message: its decoding and event id; empty for a possible CloudEvent. */
export interface DecodedMessage {
  decoded?: DecodeResult;
  eventId?: string;
}

/** A message waiting for its decoding. */
export interface Awaiting {
  message: InboundMessage;
  decodedAhead: boolean;
}

/** Messages per batch sent to the thread. */
const MAX_BATCH = 1024;

const BOOTSTRAP = new URL("../workerBootstrap.mjs", import.meta.url);
const ENTRY = new URL("./decodeWorker.ts", import.meta.url).href;

export class DecoderThread {
  private outbox: Awaiting[] = [];
  private readonly sent: Awaiting[][] = [];
  private flushScheduled = false;
  private failed = false;
  private readonly decodedListeners = new Set<() => void>();

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
  ) {
    worker.on("message", (answers: DecodedMessage[]) => this.answered(answers));
    worker.on("error", (error) => this.fail(error));
    worker.on("exit", (code) => this.fail(new Error(`decoder thread exited with code ${code}`)));
  }

  static async start(logger: Logger, timeoutMs = 20_000): Promise<DecoderThread> {
    const worker = new Worker(BOOTSTRAP, { workerData: { entry: ENTRY }, name: "vvcu-decoder" });
    // Ready once it has loaded its modules: a module that cannot load fails here, at start.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`decoder thread not online within ${timeoutMs} ms`)),
        timeoutMs,
      );
      worker.once("online", () => {
        clearTimeout(timer);
        resolve();
      });
      worker.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    return new DecoderThread(worker, logger);
  }

  /**
   * `listener` runs when messages got their answers (or were given up on); returns its removal.
   * Each listener is a queue that receives a copy of every message (keptDecodings.ts).
   */
  onDecoded(listener: () => void): () => void {
    this.decodedListeners.add(listener);
    return () => this.decodedListeners.delete(listener);
  }

  submit(awaiting: Awaiting): void {
    if (this.failed) {
      awaiting.decodedAhead = true; // nothing ahead: the bridge decodes it
      return;
    }
    this.outbox.push(awaiting);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  async close(): Promise<void> {
    this.failed = true;
    await this.worker.terminate();
  }

  private flush(): void {
    this.flushScheduled = false;
    const waiting = this.outbox;
    this.outbox = [];
    if (this.failed) return;
    // Small batches keep both threads busy at once: the main thread hands on the first answers
    // while this thread decodes the next ones.
    for (let from = 0; from < waiting.length; from += MAX_BATCH)
      this.post(waiting.slice(from, from + MAX_BATCH));
  }

  private post(batch: Awaiting[]): void {
    let bytes = 0;
    for (const { message } of batch) bytes += message.payload.byteLength;
    const buffer = Buffer.allocUnsafeSlow(bytes);
    const ends: number[] = [];
    let offset = 0;
    for (const { message } of batch) {
      message.payload.copy(buffer, offset);
      offset += message.payload.byteLength;
      ends.push(offset);
    }
    const work: DecodeBatch = {
      topics: batch.map(({ message }) => message.topic),
      ends,
      receivedAtMs: batch.map(({ message }) => message.receivedAtMs),
      buffer: buffer.buffer as ArrayBuffer,
      readers: this.decodedListeners.size,
    };
    this.sent.push(batch);
    this.worker.postMessage(work, [work.buffer]);
  }

  private answered(answers: DecodedMessage[]): void {
    const batch = this.sent.shift();
    if (batch === undefined) return;
    for (const [index, awaiting] of batch.entries()) {
      const answer = answers[index];
      if (answer?.decoded !== undefined) awaiting.message.decoded = answer.decoded;
      if (answer?.eventId !== undefined) awaiting.message.eventId = answer.eventId;
      awaiting.decodedAhead = true;
    }
    for (const listener of this.decodedListeners) listener();
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.logger.error(
      { err: error },
      "decoder thread failed; the bridges decode on the main thread from now on",
    );
    for (const batch of this.sent.splice(0)) for (const awaiting of batch) awaiting.decodedAhead = true;
    for (const awaiting of this.outbox.splice(0)) awaiting.decodedAhead = true;
    for (const listener of this.decodedListeners) listener();
  }
}
