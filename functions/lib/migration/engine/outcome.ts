/** What the engine tells the world about a migration: its CloudEvents and its metrics. */
import { CloudEvent } from "cloudevents";
import { type EventType, EXTENSIONS, eventSource } from "../../events.ts";
import { metrics } from "../../metrics.ts";
import { MIGRATION_TRIGGERS, type Migration } from "../../model/migration.ts";

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
