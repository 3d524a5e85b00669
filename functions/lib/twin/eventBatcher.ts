/**
 * The twin service's queue of C-ITS events: whatever arrives while a store write is in flight
 * goes into the next `updateMany` (one Redis pipeline), in arrival order, one batch at a time.
 * Events the store refuses because their twin is arriving by migration are parked in the store;
 * those it refuses because their twin was released here (stragglers) are dropped.
 */
import type { Logger } from "../log.ts";
import { metrics } from "../metrics.ts";
import { type LoopTurn, loopTurn } from "../runtime/loopTurn.ts";
import { traceIdOf } from "../tracing.ts";
import type { HistoryBook } from "./historyBook.ts";
import type { TwinOptions } from "./state/options.ts";
import type { TwinRecord } from "./state/records.ts";
import type { ApplyContext, ApplyResult } from "./state/reducer.ts";
import { applying, type PendingEvent } from "./store/pendingEvent.ts";
import type { TwinStore } from "./store/store.ts";
import type { TwinEvents } from "./twinEvents.ts";

export interface EventBatcherOptions {
  mec: string;
  store: TwinStore;
  events: TwinEvents;
  history: HistoryBook;
  options: TwinOptions;
  clock: () => number;
  log: Logger;
  /** Counts and logs an event not applied. */
  ignore: (reason: string, detail: string) => void;
  /** The thread's turn budget: a batch after it is spent waits for the next turn; default `loopTurn`. */
  loopTurn?: Pick<LoopTurn, "spent">;
}

/**
 * Events applied in one store write at most. A larger batch held everything else on the thread up
 * for as long as it took (in memory, about 40 µs an event); the next batch waits for the event loop.
 */
export const MAX_BATCH_EVENTS = 128;
export const MIN_BATCH_EVENTS = 16;
/**
 * The thread time (before and after the store write) a batch aims at. On a stack just started an
 * event costs several times more (cold code, new twins), and 128 of them took 40 ms and more.
 */
export const BATCH_TARGET_MS = 8;

/**
 * The next batch's size from the last one's time per event: as many as fit in BATCH_TARGET_MS,
 * within MIN_BATCH_EVENTS..MAX_BATCH_EVENTS.
 */
export function nextBatchSize(lastEvents: number, lastMs: number): number {
  if (lastEvents <= 0 || !(lastMs > 0)) return MAX_BATCH_EVENTS;
  const fitting = Math.floor((BATCH_TARGET_MS * lastEvents) / lastMs);
  return Math.min(MAX_BATCH_EVENTS, Math.max(MIN_BATCH_EVENTS, fitting));
}

export class EventBatcher {
  private readonly mec: string;
  private readonly store: TwinStore;
  private readonly events: TwinEvents;
  private readonly history: HistoryBook;
  private readonly options: TwinOptions;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly ignore: (reason: string, detail: string) => void;
  private readonly loopTurn: Pick<LoopTurn, "spent">;
  private queue: PendingEvent[] = [];
  private flushing: Promise<void> | undefined;
  /** The last batch was full: let the event loop turn before the next. */
  private yieldFirst = false;
  /** Events in the next batch at most (nextBatchSize). */
  private batchSize = MAX_BATCH_EVENTS;

  constructor(config: EventBatcherOptions) {
    this.mec = config.mec;
    this.store = config.store;
    this.events = config.events;
    this.history = config.history;
    this.options = config.options;
    this.clock = config.clock;
    this.log = config.log;
    this.ignore = config.ignore;
    this.loopTurn = config.loopTurn ?? loopTurn;
  }

  /** Queues an event for the next batch. */
  add(pending: PendingEvent): void {
    this.queue.push(pending);
    this.scheduleFlush();
  }

  /** Queues events ahead of everything queued (a hydrated twin's parked events, in order). */
  addFirst(pendings: PendingEvent[]): void {
    this.queue.unshift(...pendings);
    this.scheduleFlush();
  }

  /** Resolves when every event queued so far is applied, parked or failed. */
  async settle(): Promise<void> {
    while (this.flushing || this.queue.length > 0) {
      this.scheduleFlush();
      await this.flushing;
    }
  }

  /**
   * Parks the events the store refused because their twin is arriving. An event whose twin's
   * mark was taken meanwhile (hydrated) goes back to the queue, to be applied.
   */
  private async parkRefused(refused: PendingEvent[]): Promise<void> {
    const outcomes = await Promise.allSettled(
      refused.map((pending) =>
        this.store.park(
          pending.id,
          { message: pending.message, eventId: pending.eventId, traceparent: pending.traceparent },
          this.options.maxParkedEvents,
        ),
      ),
    );
    let requeued = false;
    outcomes.forEach((outcome, index) => {
      const pending = refused[index] as PendingEvent;
      if (outcome.status === "rejected") {
        this.log.error({ err: outcome.reason, stationId: pending.id }, "twin event not parked");
        pending.failed(outcome.reason);
      } else if (outcome.value === "not-arriving") {
        pending.arriving = false;
        pending.result = undefined;
        this.queue.push(pending);
        requeued = true;
      } else {
        if (outcome.value === "parked-overflow") this.ignore("parked-overflow", pending.id);
        metrics.twinEventsParked.inc({ mec: this.mec, type: pending.message.type });
        pending.done("parked");
      }
    });
    if (requeued) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing || this.queue.length === 0) return;
    const wait = this.yieldFirst || this.loopTurn.spent() ? setImmediate : queueMicrotask;
    this.flushing = new Promise<void>((resolve) => wait(() => resolve()))
      .then(() => this.flush())
      .finally(() => {
        this.flushing = undefined;
        this.scheduleFlush();
      });
  }

  private async flush(): Promise<void> {
    const startedAt = performance.now();
    const context: ApplyContext = { mec: this.mec, nowMs: this.clock(), options: this.options };
    const batch: PendingEvent[] = [];
    this.yieldFirst = this.queue.length > this.batchSize;
    for (const pending of this.queue.splice(0, this.batchSize)) {
      pending.updater = applying(pending, context);
      batch.push(pending);
    }
    if (batch.length === 0) return;
    let records: (TwinRecord | undefined)[];
    let threadMs = 0;
    try {
      const written = this.store.updateMany(batch);
      threadMs = performance.now() - startedAt; // the store's own work, in memory; not Redis's wait
      records = await written;
    } catch (error) {
      this.log.error({ err: error, events: batch.length }, "twin store write failed");
      for (const pending of batch) pending.failed(error);
      return;
    }
    const appliedAt = performance.now();
    // Counted per batch: a labelled counter looks its labels up on every inc.
    const counts = new Map<string, number>();
    let refused: PendingEvent[] | undefined;
    batch.forEach((pending, index) => {
      if (pending.arriving) {
        refused ??= [];
        refused.push(pending);
        return;
      }
      if (pending.released) {
        this.ignore("released", pending.id);
        pending.done("released");
        return;
      }
      const result = pending.result as ApplyResult;
      const record = records[index];
      const counted = result.outcome === "applied" ? pending.message.type : `:${result.outcome}`;
      counts.set(counted, (counts.get(counted) ?? 0) + 1);
      if (this.log.isLevelEnabled("debug")) {
        this.log.debug(
          {
            stationId: pending.message.stationId,
            traceId: traceIdOf(pending.traceparent),
            eventId: pending.eventId,
            type: pending.message.type,
            outcome: result.outcome,
          },
          "event applied",
        );
      }
      if (record && result.changed) {
        this.history.record(record.twin, context.nowMs);
        if (result.created && !this.events.knows(record.twin.id)) {
          this.events.created(record.twin, pending.traceparent);
        } else {
          this.events.changed(record.twin, pending.traceparent);
        }
      }
      pending.done(result.outcome);
    });
    for (const [counted, count] of counts) {
      if (counted.startsWith(":"))
        metrics.twinEventsIgnored.inc({ mec: this.mec, reason: counted.slice(1) }, count);
      else metrics.twinEventsApplied.inc({ mec: this.mec, type: counted }, count);
    }
    void this.history.persist();
    this.batchSize = nextBatchSize(batch.length, threadMs + performance.now() - appliedAt);
    if (refused) await this.parkRefused(refused);
  }
}
