/**
 * The twin service of one MEC: applies C-ITS CloudEvents to twins in the store, emits twin.*
 * events, and hosts twins arriving by migration (TwinHostApi). The imperative shell around the
 * pure reducer and sweep; every method is async with JSON-serialisable arguments, so an HTTP
 * adapter can serve it as it is.
 *
 * Events are applied in batches (eventBatcher.ts): whatever arrives while a store write is in
 * flight goes into the next `updateMany` (one Redis pipeline), in arrival order.
 *
 * Parking lives in the store, so every replica of a MEC's twin function sees it: the store refuses
 * to write a twin marked arriving (`expect`), and the service then parks the event in the store;
 * `hydrate` installs the snapshot and then takes the parked events and applies them. The released
 * mark lives there too: `release` leaves a tombstone for a grace period, and the store refuses
 * the twin's late events (answered "released") whichever replica receives them.
 */
import type { CloudEventV1 } from "cloudevents";
import type { CitsMessage } from "../cits/types.ts";
import { type Conformance, compileConformance } from "../conforms.ts";
import {
  CITS_EVENT_TYPES,
  EVENT_CATALOG,
  type EventType,
  EXTENSIONS,
  isEventType,
  parseEventData,
} from "../events.ts";
import type { BBox } from "../geo/types.ts";
import { componentLogger, type Logger, rateLimited } from "../log.ts";
import { metrics } from "../metrics.ts";
import type { TwinHistoryData } from "../model/history.ts";
import type { Twin, TwinSnapshot, TwinStatus } from "../model/twin.ts";
import type { EventSink } from "../runtime/emit/sink.ts";
import { EventBatcher } from "./eventBatcher.ts";
import { HistoryBook } from "./historyBook.ts";
import type { TwinHostApi } from "./remote/host.ts";
import { type TwinOptions, twinOptions } from "./state/options.ts";
import type { TwinRecord } from "./state/records.ts";
import { type SweepOutcome, sweepRecord } from "./state/sweep.ts";
import type { Circle } from "./state/twinQuery.ts";
import type { HistoryStore } from "./store/historyStore.ts";
import { type HandleOutcome, type PendingEvent, pendingEvent } from "./store/pendingEvent.ts";
import type { TwinStore } from "./store/store.ts";
import { TwinEvents } from "./twinEvents.ts";

export type { HandleOutcome } from "./store/pendingEvent.ts";

export interface TwinServiceOptions {
  mec: string;
  store: TwinStore;
  sink: EventSink;
  options?: Partial<TwinOptions>;
  /** Where twins' histories are kept beyond the process (with the Redis store); absent: in memory only. */
  history?: HistoryStore;
  /** Receipt clock, ms since the epoch (tests pass their own). */
  clock?: () => number;
  logger?: Logger;
}

/** Per C-ITS event type, the cheap check that its data can be used as it is (conforms.ts). */
const CITS_CONFORMANCE = new Map<string, Conformance>(
  CITS_EVENT_TYPES.map((type) => [type, compileConformance(EVENT_CATALOG[type].data)]),
);

export class TwinService implements TwinHostApi {
  readonly mec: string;
  readonly options: TwinOptions;
  private readonly store: TwinStore;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly warnOnce = rateLimited(10_000);
  private readonly events: TwinEvents;
  private readonly batcher: EventBatcher;
  private readonly history: HistoryBook;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(config: TwinServiceOptions) {
    this.mec = config.mec;
    this.store = config.store;
    this.options = twinOptions(config.options);
    this.clock = config.clock ?? Date.now;
    this.log = config.logger ?? componentLogger("twin", { mec: config.mec });
    this.events = new TwinEvents(this.mec, config.sink, this.options, this.clock, this.log);
    this.history = new HistoryBook(
      {
        durationMs: this.options.historyMs,
        intervalMs: this.options.historyIntervalMs,
        objectsIntervalMs: this.options.historyObjectsIntervalMs,
      },
      this.log,
      config.history,
    );
    this.batcher = new EventBatcher({
      mec: this.mec,
      store: this.store,
      events: this.events,
      history: this.history,
      options: this.options,
      clock: this.clock,
      log: this.log,
      ignore: (reason, detail) => this.ignore(reason, detail),
    });
  }

  /** Applies one `io.vvcu.cits.*.received` event. Bad input is logged and counted, never thrown. */
  handle(event: CloudEventV1<unknown>): Promise<HandleOutcome> {
    // Not async: one promise per event rather than two, on the hot path.
    try {
      return this.accept(event);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private accept(event: CloudEventV1<unknown>): Promise<HandleOutcome> {
    const conforms = CITS_CONFORMANCE.get(event.type);
    if (conforms === undefined || !isEventType(event.type)) {
      this.ignore("unsupported", event.type);
      return Promise.resolve("unsupported");
    }
    let message: CitsMessage;
    if (conforms(event.data)) {
      message = event.data as CitsMessage;
    } else {
      // zod: strips what the schema does not know, and says what is wrong
      const parsed = parseEventData(event.type as EventType, event.data);
      if (!parsed.ok) {
        this.ignore("invalid", `${event.type} ${event.id}: ${parsed.reason}`);
        return Promise.resolve("invalid");
      }
      message = parsed.data as CitsMessage;
    }
    const traceparent = event[EXTENSIONS.traceparent] as string | undefined;
    if (event[EXTENSIONS.arriving] === "true") {
      // Came before the twin CNF marked its twin arriving: mark it here, so the event is parked
      // for the hydration instead of creating the twin (which would then ask for a first placement).
      return this.store
        .expectUnlessPresent(message.stationId)
        .then(() => this.enqueue(message, event.id, traceparent));
    }
    return this.enqueue(message, event.id, traceparent);
  }

  private enqueue(message: CitsMessage, eventId: string, traceparent: string | undefined) {
    return new Promise<HandleOutcome>((done, failed) => {
      this.batcher.add(pendingEvent(message, eventId, traceparent, done, failed));
    });
  }

  async twins(): Promise<Twin[]> {
    return (await this.store.list()).map((twin) => this.events.withNeighbours(twin));
  }

  async twin(id: string): Promise<Twin | undefined> {
    const record = await this.store.get(id);
    return record ? this.events.withNeighbours(record.twin) : undefined;
  }

  /** The twins in the area, from the spatial index: a `near` or `bbox` query's candidates (TwinEvents.inArea). */
  async twinsInArea(
    area: { bbox?: BBox; near?: Circle },
    options?: { neighbours?: boolean },
  ): Promise<Twin[]> {
    return this.events.inArea(area, options);
  }

  /** The twin's history between the times (ms), within the history's duration; undefined when none. */
  async historyOf(id: string, sinceMs: number, untilMs: number): Promise<TwinHistoryData | undefined> {
    return this.history.range(id, sinceMs, untilMs, this.clock());
  }

  // --- TwinHostApi: the migration seam -------------------------------------------------------

  async expect(twinId: string): Promise<void> {
    await this.store.expect(twinId);
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    const id = snapshot.twin.id;
    // The snapshot first, while the mark still parks every replica's events; then the parked ones.
    await this.store.hydrate({ ...snapshot, twin: { ...snapshot.twin, mec: this.mec } });
    if (snapshot.history) await this.history.install(id, snapshot.history);
    const parked = (await this.store.takeParked(id)).sort((a, b) => a.message.sequence - b.message.sequence);
    // Ahead of anything queued meanwhile, in the station's order; the reducer's idempotence by id
    // drops those the snapshot already holds, so none counts twice.
    const pendings: PendingEvent[] = [];
    const applied = parked.map(
      (event) =>
        new Promise<HandleOutcome>((done, failed) => {
          pendings.push(pendingEvent(event.message, event.eventId, event.traceparent, done, failed));
        }),
    );
    this.batcher.addFirst(pendings);
    await Promise.all(applied);
    const record = await this.store.get(id);
    if (record) this.events.changed(record.twin, this.events.traceOf(id));
  }

  async isReady(twinId: string): Promise<boolean> {
    return !(await this.store.isArriving(twinId)) && (await this.store.get(twinId)) !== undefined;
  }

  async snapshot(twinId: string): Promise<TwinSnapshot | undefined> {
    // Every event handled so far applied; the MEC's other twins' pending updates need not go out
    // first (sending them all made each migration hold the thread up for tens of ms).
    await this.batcher.settle();
    const snapshot = await this.store.snapshot(twinId);
    const history = this.history.state(twinId);
    if (snapshot && history) snapshot.history = history;
    return snapshot;
  }

  async setStatus(twinId: string, status: TwinStatus): Promise<void> {
    const record = await this.store.update(twinId, (current) =>
      current && current.twin.status !== status ? { ...current, twin: { ...current.twin, status } } : current,
    );
    if (record) this.events.changed(record.twin, this.events.traceOf(twinId));
  }

  async release(twinId: string): Promise<void> {
    this.events.forget(twinId);
    await this.history.forget(twinId);
    // Deletes the twin and leaves a tombstone every replica's writes see: late events for it
    // (stragglers the bridge forwarded before the switch) are refused, here or at any replica.
    await this.store.release(twinId);
  }

  // --- time-driven work ----------------------------------------------------------------------

  /** Marks quiet twins stale, removes expired ones (with `twin.expired`), drops ended hazards. */
  async sweep(nowMs = this.clock()): Promise<{ changed: string[]; expired: string[] }> {
    const twins = await this.store.list();
    const outcomes = new Map<string, SweepOutcome>();
    const records = await this.store.updateMany(
      twins.map((twin) => ({
        id: twin.id,
        updater: (current: TwinRecord | undefined) => {
          if (!current) return undefined;
          const result = sweepRecord(current, nowMs, this.options);
          outcomes.set(twin.id, result.outcome);
          return result.outcome === "changed" ? result.record : current;
        },
      })),
    );
    const changed: string[] = [];
    const expired: string[] = [];
    for (const [index, twin] of twins.entries()) {
      const record = records[index];
      if (!record) continue;
      const outcome = outcomes.get(twin.id);
      if (outcome === "expired") {
        await this.store.delete(twin.id);
        await this.history.forget(twin.id);
        expired.push(twin.id);
        this.events.expired(twin.id, record.twin.lastSeen);
      } else if (outcome === "changed") {
        changed.push(twin.id);
        this.events.changed(record.twin, this.events.traceOf(twin.id));
      } else if (!this.events.knows(twin.id)) {
        this.events.remember(record.twin, undefined); // written by another instance of the function
      }
    }
    return { changed, expired };
  }

  /** Loads the MEC's twins into the position cache and sweeps every `intervalMs`. */
  async start(intervalMs = 1000): Promise<void> {
    const twins = await this.store.list();
    for (const twin of twins) this.events.remember(twin, undefined);
    await this.history.load(twins.map((twin) => twin.id));
    this.sweepTimer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.log.error({ err: error }, "twin sweep failed"));
    }, intervalMs);
    this.sweepTimer.unref?.();
  }

  /** Stops sweeping, applies what is queued and sends every pending update. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.drain();
  }

  /** Resolves when everything handled so far is applied and every pending update is sent. */
  async drain(): Promise<void> {
    await this.batcher.settle();
    await this.events.flush();
    await this.history.settled();
  }

  // --- internals ----------------------------------------------------------------------------

  private ignore(reason: string, detail: string): void {
    metrics.twinEventsIgnored.inc({ mec: this.mec, reason });
    this.warnOnce(reason, () => this.log.warn({ reason, detail }, "twin event not applied"));
  }
}
