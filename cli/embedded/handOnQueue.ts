/**
 * Messages handed on to the bridges in the order they came, each once it is ready (decoded).
 * Handing on stops while the receiver says it is full (a promise), and lets the event loop turn
 * after a number of them that adapts to the time a turn takes, or after RUN_BUDGET_MS (below): one long run would hold up everything else on the thread (the
 * API, the twins' deliveries) and with it every message's latency.
 */

import { type LoopTurn, loopTurn } from "../../functions/lib/runtime/loopTurn.ts";

/**
 * Messages handed on before the event loop gets a turn: their work (bridge, twins, control plane)
 * runs in the same turn, so the API waits for all of it. The number adapts to how long the last
 * turn took (from one hand-on run to the next, everything else on the thread included): halved
 * while turns take longer than TURN_TARGET_MS, doubled while they take less than half of it. A
 * fixed 1,024 kept the API from answering for about a second when 1,000 new stations appeared on
 * a stack just started (each message costs several times more then); a fixed 128 cost the
 * 1,000-vehicle load a fifth of its throughput, each turn's fixed costs paid eight times as often.
 */
export const MAX_PER_TURN = 1_024;
export const MIN_PER_TURN = 32;
export const TURN_TARGET_MS = 25;
/**
 * A run of hand-ons also ends once it has taken this long, whatever the number: the number adapts
 * only after a slow turn, and the first turns of 1,000 new stations on a stack just started (cold
 * code, new twins) took 100 ms and more before it had come down.
 */
export const RUN_BUDGET_MS = 10;

export interface HandOnOptions<T> {
  /** The thread's turn budget, shared with other deferrable work; default `loopTurn`. */
  loopTurn?: Pick<LoopTurn, "spent">;
  /** Takes the next item; a promise means "full: wait before the next". */
  handOn: (item: T) => Promise<void> | undefined;
  /** Whether the item at the head may be handed on; default: every item is ready when queued. */
  isReady?: (item: T) => boolean;
  /** Told how many items were handed on, after each run of them (before the event loop turns). */
  onHanded?: (count: number) => void;
  /** Items waiting above which `room()` makes the producer wait. */
  maxWaiting: number;
  /** Milliseconds for the run budget and the turn's length; default `performance.now`. */
  clock?: () => number;
}

export class HandOnQueue<T> {
  private readonly items: (T | undefined)[] = [];
  private head = 0;
  private draining = false;
  private closed = false;
  private roomWaiters: (() => void)[] = [];
  private perTurn = MAX_PER_TURN;

  constructor(private readonly options: HandOnOptions<T>) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    void this.drain();
  }

  /**
   * Queues a batch in order and hands it on in one run: one report to `onHanded` per run, not one
   * per item as pushing them one by one would make.
   */
  pushAll(batch: readonly T[]): void {
    if (this.closed || batch.length === 0) return;
    for (const item of batch) this.items.push(item);
    void this.drain();
  }

  /** Resolves once fewer than `maxWaiting` items wait: undefined when that is already so. */
  room(): Promise<void> | undefined {
    if (this.size < this.options.maxWaiting) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stops handing on; what still waits is dropped and every producer waiting for room goes on. */
  close(): void {
    this.closed = true;
    this.items.length = 0;
    this.head = 0;
    this.releaseWaiters();
  }

  /** Hands on every ready item at the head; call it again when an item becomes ready. */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const { handOn, onHanded } = this.options;
    const isReady = this.options.isReady ?? (() => true);
    const clock = this.options.clock ?? (() => performance.now());
    const turn = this.options.loopTurn ?? loopTurn;
    let handed = 0;
    let turnStartedAt = clock();
    let runStartedAt = turnStartedAt;
    try {
      for (
        let item = this.items[this.head];
        item !== undefined && isReady(item);
        item = this.items[this.head]
      ) {
        this.items[this.head++] = undefined;
        handed++;
        const full = handOn(item);
        if (full !== undefined) {
          await full;
          runStartedAt = clock(); // the event loop turned while the receiver was full
        }
        if (this.head > 1_024 && this.head * 2 > this.items.length) {
          this.items.splice(0, this.head);
          this.head = 0;
        }
        if (this.roomWaiters.length > 0 && this.size < this.options.maxWaiting) this.releaseWaiters();
        if (handed >= this.perTurn || clock() - runStartedAt >= RUN_BUDGET_MS || turn.spent()) {
          onHanded?.(handed);
          handed = 0;
          await new Promise((resolve) => setImmediate(resolve));
          const now = clock();
          const turnMs = now - turnStartedAt;
          turnStartedAt = now;
          runStartedAt = now;
          if (turnMs > TURN_TARGET_MS) this.perTurn = Math.max(MIN_PER_TURN, this.perTurn >> 1);
          else if (turnMs < TURN_TARGET_MS / 2) this.perTurn = Math.min(MAX_PER_TURN, this.perTurn << 1);
        }
      }
    } finally {
      this.draining = false;
      if (handed > 0) onHanded?.(handed);
    }
  }

  private releaseWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
