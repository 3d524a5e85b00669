/**
 * The migration engine: DESIGN.md's make-before-break protocol over one MigrationDriver per
 * MEC. One migration per twin at a time, idempotent by id, every step journaled before the
 * next one starts, `migration.*` events at each step. The decisions are in machine.ts; this
 * is the shell that calls drivers, the journal, the placement registry and the sink.
 */
import { performance } from "node:perf_hooks";
import type { CloudEventV1 } from "cloudevents";
import { EXTENSIONS, parseEventData } from "../events.ts";
import { componentLogger, type Logger } from "../log.ts";
import type { PlacementRegistry } from "../runtime/placement.ts";
import type { EventSink } from "../runtime/sink.ts";
import { migrationLogContext } from "../tracing.ts";
import type { MigrationDriver, Placement } from "./driver.ts";
import type { MigrationJournal } from "./journal.ts";
import {
  admit,
  completed,
  failed,
  type JournalEntry,
  type RejectionCode,
  recoveryAction,
  reserve,
  rolledBack,
  stepDone,
} from "./machine.ts";
import type { Migration, MigrationRequest } from "./model.ts";
import {
  EVENT_TYPE_OF_STATUS,
  initMigrationMetrics,
  type MigrationEventType,
  migrationEvent,
  recordFinished,
} from "./outcome.ts";
import { bounded, errorMessage, sleep } from "./timing.ts";

export interface MigrationEngineOptions {
  /** MEC ids of the topology. */
  mecs: Iterable<string>;
  /** The driver that places at / releases from a MEC (topology: per-MEC `driver`, or the default). */
  driverFor: (mec: string) => MigrationDriver;
  placement: PlacementRegistry;
  journal: MigrationJournal;
  sink: EventSink;
  /** Where this engine runs, for the events' source. */
  mec?: string;
  placeTimeoutMs?: number;
  readyTimeoutMs?: number;
  releaseTimeoutMs?: number;
  /** Attempts at releasing the source after the switch (and the target in a rollback). */
  releaseAttempts?: number;
  /** Delay before the first retry; doubles after each. */
  releaseRetryDelayMs?: number;
  /** Finished migrations kept for the API and idempotence. */
  historyLimit?: number;
  logger?: Logger;
}

export type RequestOutcome =
  | { kind: "started"; migration: Migration }
  | { kind: "duplicate"; migration: Migration }
  | { kind: "conflict"; migration: Migration }
  | { kind: "rejected"; code: RejectionCode; error: string };

/** What the manager API needs from the engine (in a cluster, a client of the migration function). */
export interface MigrationControl {
  request(request: MigrationRequest, context?: { traceparent?: string }): Promise<RequestOutcome>;
  /** Newest first. */
  list(filter?: { twin?: string }): Migration[] | Promise<Migration[]>;
}

export class MigrationEngine implements MigrationControl {
  private readonly mecs: ReadonlySet<string>;
  /** Insertion order is request order. */
  private readonly records = new Map<string, Migration>();
  private readonly runningByTwin = new Map<string, string>();
  private readonly tasks = new Map<string, Promise<Migration>>();
  private readonly listeners = new Set<(migration: Migration) => void>();
  private readonly shutdown = new AbortController();
  private readonly logger: Logger;

  constructor(private readonly options: MigrationEngineOptions) {
    this.mecs = new Set(options.mecs);
    this.logger = options.logger ?? componentLogger("migration");
    initMigrationMetrics(this.driverNames());
  }

  /** The drivers of the topology's MECs (one that cannot be built yet shows when it is used). */
  private driverNames(): string[] {
    const names: string[] = [];
    for (const mec of this.mecs) {
      try {
        names.push(this.options.driverFor(mec).name);
      } catch {
        // Not this engine's concern at construction: request() reports it for the MEC concerned.
      }
    }
    return names;
  }

  /** Admits or refuses at once (the per-twin lock is taken synchronously); the protocol then runs on. */
  async request(request: MigrationRequest, context: { traceparent?: string } = {}): Promise<RequestOutcome> {
    const startedAt = performance.now();
    const runningId = this.runningByTwin.get(request.twin);
    const admission = admit(request, {
      mecs: this.mecs,
      home: this.options.placement.homeOf(request.twin),
      sameId: this.records.get(request.id),
      runningForTwin: runningId === undefined ? undefined : this.records.get(runningId),
    });
    if (admission.kind !== "accept") {
      if (admission.kind !== "rejected") return admission;
      this.logger.info(
        { ...migrationLogContext(request, context.traceparent), error: admission.error },
        "migration rejected",
      );
      return admission;
    }
    const migration = reserve(request, admission.from, this.options.driverFor(request.to).name);
    this.logger.info(
      {
        ...migrationLogContext(migration, context.traceparent),
        from: migration.from,
        to: migration.to,
        trigger: migration.trigger,
        reason: migration.reason,
        driver: migration.driver,
      },
      "migration requested",
    );
    this.runningByTwin.set(migration.twin, migration.id);
    this.records.set(migration.id, migration);
    const entry: JournalEntry = { migration, traceparent: context.traceparent };
    try {
      await this.save(entry);
    } catch (error) {
      this.unlock(migration);
      this.records.delete(migration.id);
      throw error;
    }
    await this.emit("io.vvcu.migration.started", entry);
    this.track(migration.id, this.run(entry, startedAt));
    return { kind: "started", migration };
  }

  /** The `migration.requested` entry point: duplicates and conflicts are dropped, never thrown. */
  async handleEvent(event: CloudEventV1<unknown>): Promise<RequestOutcome | undefined> {
    if (event.type !== "io.vvcu.migration.requested") return undefined;
    const parsed = parseEventData("io.vvcu.migration.requested", event.data);
    if (!parsed.ok) {
      this.logger.warn({ eventId: event.id, reason: parsed.reason }, "ignoring malformed migration request");
      return undefined;
    }
    const given = event[EXTENSIONS.traceparent];
    const traceparent = typeof given === "string" ? given : undefined;
    const outcome = await this.request(parsed.data, { traceparent });
    if (outcome.kind === "duplicate" || outcome.kind === "conflict") {
      this.logger.debug(
        { ...migrationLogContext(parsed.data, traceparent), outcome: outcome.kind },
        "dropped migration request",
      );
    }
    return outcome;
  }

  get(id: string): Migration | undefined {
    return this.records.get(id);
  }

  /** Newest first. */
  list(filter: { twin?: string } = {}): Migration[] {
    const all = [...this.records.values()].reverse();
    return filter.twin === undefined ? all : all.filter((migration) => migration.twin === filter.twin);
  }

  /** Resolves with the finished record (immediately for a finished or unknown id). */
  async settled(id: string): Promise<Migration | undefined> {
    return (await this.tasks.get(id)) ?? this.records.get(id);
  }

  /** Every change of a record (the geofence listens here in the embedded stack). */
  onChange(listener: (migration: Migration) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After a restart: loads the journal, rolls back what had not switched, finishes what had. */
  async recover(): Promise<{ rolledBack: number; finished: number }> {
    const entries = await this.options.journal.load();
    for (const { migration } of entries) {
      if (!this.records.has(migration.id)) this.records.set(migration.id, migration);
    }
    let rolledBackCount = 0;
    let finishedCount = 0;
    const recoveries: Promise<Migration>[] = [];
    const track = (id: string, recovery: Promise<Migration>) => {
      this.track(id, recovery);
      recoveries.push(recovery);
    };
    for (const entry of entries) {
      const { migration } = entry;
      const action = recoveryAction(migration);
      if (action === "none") continue;
      this.runningByTwin.set(migration.twin, migration.id);
      this.logger.warn(
        { ...migrationLogContext(migration, entry.traceparent), step: migration.step, action },
        "recovering migration",
      );
      if (action === "roll-back") {
        rolledBackCount++;
        track(migration.id, this.rollBack(entry, "interrupted by a restart before the switch"));
      } else {
        finishedCount++;
        if (this.options.placement.homeOf(migration.twin) !== migration.to) {
          this.options.placement.setHome(migration.twin, migration.to);
        }
        track(
          migration.id,
          action === "finish" ? this.finish(entry, undefined) : this.releaseSource(entry, undefined),
        );
      }
    }
    await Promise.all(recoveries);
    this.trimHistory();
    return { rolledBack: rolledBackCount, finished: finishedCount };
  }

  /** Stops waiting: running migrations before their switch roll back, the others finish their release. */
  async close(): Promise<void> {
    this.shutdown.abort(new Error("migration engine shutting down"));
    await Promise.allSettled([...this.tasks.values()]);
  }

  private async run(initial: JournalEntry, startedAt: number): Promise<Migration> {
    let entry = initial;
    const { migration } = entry;
    const driver = this.options.driverFor(migration.to);
    const source = this.options.driverFor(migration.from).existing(migration.twin, migration.from);
    const signal = this.shutdown.signal;
    try {
      const target = await bounded("place at the target", this.timeout("place"), signal, (inner) =>
        driver.place(
          {
            migrationId: migration.id,
            twin: migration.twin,
            mec: migration.to,
            snapshot: undefined,
            sourceMec: migration.from,
          },
          inner,
        ),
      );
      entry = { ...entry, target, source, migration: stepDone(entry.migration, "placed") };
      await this.save(entry);
      await bounded("wait until the target is ready", this.timeout("ready"), signal, (inner) =>
        driver.waitUntilReady(target, inner),
      );
      const timeUntilReadyMs = performance.now() - startedAt;
      entry = { ...entry, migration: stepDone(entry.migration, "ready", { timeUntilReadyMs }) };
      await this.save(entry);
      await this.emit("io.vvcu.migration.ready", entry);
    } catch (error) {
      return this.rollBack({ ...entry, source }, errorMessage(error));
    }
    this.options.placement.setHome(migration.twin, migration.to);
    entry = { ...entry, migration: stepDone(entry.migration, "switched") };
    await this.save(entry).catch((error) =>
      this.logWarn(entry, error, "journal write after the switch failed"),
    );
    await this.activate(entry, entry.target);
    return this.releaseSource(entry, startedAt);
  }

  private async releaseSource(initial: JournalEntry, startedAt: number | undefined): Promise<Migration> {
    let entry = initial;
    const { migration } = entry;
    const placement =
      entry.source ?? this.options.driverFor(migration.from).existing(migration.twin, migration.from);
    try {
      await this.releaseWithRetries(migration.from, placement);
    } catch (error) {
      const message = `release of the source at ${migration.from} failed: ${errorMessage(error)}`;
      return this.finishWith({ ...entry, migration: failed(migration, message, new Date().toISOString()) });
    }
    entry = { ...entry, migration: stepDone(migration, "released") };
    await this.save(entry).catch((error) =>
      this.logWarn(entry, error, "journal write after the release failed"),
    );
    return this.finish(entry, startedAt);
  }

  private finish(entry: JournalEntry, startedAt: number | undefined): Promise<Migration> {
    const timeUntilDoneMs = startedAt === undefined ? undefined : performance.now() - startedAt;
    return this.finishWith({
      ...entry,
      migration: completed(entry.migration, new Date().toISOString(), timeUntilDoneMs),
    });
  }

  private async rollBack(entry: JournalEntry, reason: string): Promise<Migration> {
    const { migration } = entry;
    const driver = this.options.driverFor(migration.to);
    let error = reason;
    try {
      await this.releaseWithRetries(
        migration.to,
        entry.target ?? driver.existing(migration.twin, migration.to),
      );
    } catch (releaseError) {
      error = `${reason}; the target at ${migration.to} could not be released: ${errorMessage(releaseError)}`;
    }
    if (this.options.placement.homeOf(migration.twin) !== migration.from) {
      this.options.placement.setHome(migration.twin, migration.from);
    }
    await this.activate(entry, entry.source);
    return this.finishWith({ ...entry, migration: rolledBack(migration, error, new Date().toISOString()) });
  }

  private async finishWith(entry: JournalEntry): Promise<Migration> {
    const { migration } = entry;
    await this.save(entry).catch((error) =>
      this.logWarn(entry, error, "journal write of the outcome failed"),
    );
    this.unlock(migration);
    recordFinished(migration);
    const type = migration.status === "running" ? undefined : EVENT_TYPE_OF_STATUS[migration.status];
    if (type !== undefined) await this.emit(type, entry);
    const log = migration.status === "completed" ? this.logger.info : this.logger.warn;
    log.call(
      this.logger,
      {
        ...migrationLogContext(migration, entry.traceparent),
        from: migration.from,
        to: migration.to,
        status: migration.status,
        timeUntilReadyMs: migration.timeUntilReadyMs,
        timeUntilDoneMs: migration.timeUntilDoneMs,
        error: migration.error,
      },
      `migration ${migration.status}`,
    );
    this.trimHistory();
    return migration;
  }

  private async releaseWithRetries(mec: string, placement: Placement): Promise<void> {
    const driver = this.options.driverFor(mec);
    const attempts = Math.max(1, this.options.releaseAttempts ?? 5);
    let delayMs = this.options.releaseRetryDelayMs ?? 100;
    // Releases run to the end even while shutting down: a half-released twin is worse.
    const never = new AbortController().signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await bounded(`release at ${mec}`, this.timeout("release"), never, (inner) =>
          driver.release(placement, inner),
        );
        return;
      } catch (error) {
        if (attempt >= attempts) throw error;
        this.logger.warn(
          { twin: placement.twin, mec, attempt, error: errorMessage(error) },
          "release failed, retrying",
        );
        await sleep(delayMs);
        delayMs *= 2;
      }
    }
  }

  private async activate(entry: JournalEntry, placement: Placement | undefined): Promise<void> {
    if (placement === undefined) return;
    const driver = this.options.driverFor(placement.mec);
    if (driver.activate === undefined) return;
    try {
      await bounded("activate", this.timeout("release"), new AbortController().signal, (inner) =>
        // biome-ignore lint/style/noNonNullAssertion: checked just above; TS loses it across the closure
        driver.activate!(placement, inner),
      );
    } catch (error) {
      this.logWarn(entry, error, `could not mark the twin active at ${placement.mec}`);
    }
  }

  private async save(entry: JournalEntry): Promise<void> {
    this.records.set(entry.migration.id, entry.migration);
    await this.options.journal.append(entry);
    for (const listener of this.listeners) listener(entry.migration);
  }

  private async emit(type: MigrationEventType, entry: JournalEntry): Promise<void> {
    // The outcomes have their own line (finishWith); started and ready are logged as they happen.
    if (type === "io.vvcu.migration.started" || type === "io.vvcu.migration.ready") {
      const { migration } = entry;
      this.logger.info(
        {
          ...migrationLogContext(migration, entry.traceparent),
          step: migration.step,
          timeUntilReadyMs: migration.timeUntilReadyMs,
        },
        type === "io.vvcu.migration.started" ? "migration started" : "migration ready",
      );
    }
    try {
      await this.options.sink.emit(
        migrationEvent(type, entry.migration, this.options.mec ?? "control", entry.traceparent),
      );
    } catch (error) {
      this.logWarn(entry, error, `could not emit ${type}`);
    }
  }

  private track(key: string, task: Promise<Migration>): void {
    this.tasks.set(key, task);
    task.finally(() => this.tasks.delete(key)).catch(() => {});
  }

  private unlock(migration: Migration): void {
    if (this.runningByTwin.get(migration.twin) === migration.id) this.runningByTwin.delete(migration.twin);
  }

  private trimHistory(): void {
    const limit = this.options.historyLimit ?? 1000;
    for (const [id, migration] of this.records) {
      if (this.records.size <= limit) break;
      if (migration.status !== "running") this.records.delete(id);
    }
  }

  private timeout(step: "place" | "ready" | "release"): number {
    const { placeTimeoutMs, readyTimeoutMs, releaseTimeoutMs } = this.options;
    return (
      (step === "place" ? placeTimeoutMs : step === "ready" ? readyTimeoutMs : releaseTimeoutMs) ?? 60_000
    );
  }

  private logWarn(entry: JournalEntry, error: unknown, message: string): void {
    this.logger.warn(
      { ...migrationLogContext(entry.migration, entry.traceparent), error: errorMessage(error) },
      message,
    );
  }
}
