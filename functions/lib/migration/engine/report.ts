/**
 * What the engine tells the world about a migration as it goes: its `migration.*` CloudEvents,
 * its log lines and its outcome metrics.
 */
import { CloudEvent } from "cloudevents";
import { type EventType, EXTENSIONS, eventSource } from "../../events.ts";
import type { Logger } from "../../log.ts";
import { metrics } from "../../metrics.ts";
import { MIGRATION_TRIGGERS, type Migration } from "../../model/migration.ts";
import type { EventSink } from "../../runtime/emit/sink.ts";
import { errorMessage } from "../../runtime/timing.ts";
import { migrationLogContext } from "../../tracing.ts";
import type { JournalEntry } from "./record.ts";

export class MigrationReporter {
  constructor(
    private readonly sink: EventSink,
    /** The events' source MEC. */
    private readonly mec: string,
    private readonly logger: Logger,
  ) {}

  /** Emits a `migration.*` event; a sink that fails is logged, never thrown. */
  async emit(type: MigrationEventType, entry: JournalEntry): Promise<void> {
    // The outcomes have their own line (finished); started and ready are logged as they happen.
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
      await this.sink.emit(migrationEvent(type, entry.migration, this.mec, entry.traceparent));
    } catch (error) {
      this.warn(entry, error, `could not emit ${type}`);
    }
  }

  /** The outcome of a finished migration: counted, emitted and logged. */
  async finished(entry: JournalEntry): Promise<void> {
    const { migration } = entry;
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
  }

  warn(entry: JournalEntry, error: unknown, message: string): void {
    this.logger.warn(
      { ...migrationLogContext(entry.migration, entry.traceparent), error: errorMessage(error) },
      message,
    );
  }
}

export type MigrationEventType = Extract<
  EventType,
  | "io.vvcu.migration.started"
  | "io.vvcu.migration.ready"
  | "io.vvcu.migration.completed"
  | "io.vvcu.migration.failed"
  | "io.vvcu.migration.rolledback"
>;

export const EVENT_TYPE_OF_STATUS = {
  completed: "io.vvcu.migration.completed",
  failed: "io.vvcu.migration.failed",
  "rolled-back": "io.vvcu.migration.rolledback",
} as const satisfies Record<Exclude<Migration["status"], "running">, MigrationEventType>;

export function migrationEvent(
  type: MigrationEventType,
  migration: Migration,
  mec: string,
  traceparent: string | undefined,
): CloudEvent<{ migration: Migration }> {
  return new CloudEvent({
    type,
    source: eventSource(mec, "migration"),
    subject: migration.twin,
    datacontenttype: "application/json",
    data: { migration },
    [EXTENSIONS.migration]: migration.id,
    [EXTENSIONS.mec]: mec,
    ...(traceparent === undefined ? {} : { [EXTENSIONS.traceparent]: traceparent }),
  });
}

/** Counts a finished migration and records its timings. */
export function recordFinished(migration: Migration): void {
  metrics.migrations.inc({ result: migration.status, driver: migration.driver, trigger: migration.trigger });
  if (migration.timeUntilReadyMs !== undefined) {
    metrics.migrationReadySeconds.observe({ driver: migration.driver }, migration.timeUntilReadyMs / 1000);
    if (migration.status === "completed") {
      metrics.lastMigrationReadySeconds.set({ twin: migration.twin }, migration.timeUntilReadyMs / 1000);
    }
  }
  if (migration.timeUntilDoneMs !== undefined) {
    metrics.migrationDoneSeconds.observe({ driver: migration.driver }, migration.timeUntilDoneMs / 1000);
    metrics.lastMigrationDoneSeconds.set({ twin: migration.twin }, migration.timeUntilDoneMs / 1000);
  }
}

/** Drivers whose histograms were created: zero() would wipe what a second engine already observed. */
const histogramsCreated = new Set<string>();

/**
 * Creates the migration series of these drivers at zero. Prometheus' rate() and increase() see
 * a counter change only between two samples, so a series born at 1 (the first migration since
 * the process started) would never show in the dashboards' migration panels.
 */
export function initMigrationMetrics(drivers: Iterable<string>): void {
  for (const driver of new Set(drivers)) {
    for (const result of Object.keys(EVENT_TYPE_OF_STATUS)) {
      for (const trigger of MIGRATION_TRIGGERS) metrics.migrations.inc({ result, driver, trigger }, 0);
    }
    if (histogramsCreated.has(driver)) continue;
    histogramsCreated.add(driver);
    metrics.migrationReadySeconds.zero({ driver });
    metrics.migrationDoneSeconds.zero({ driver });
  }
}
