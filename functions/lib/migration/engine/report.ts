/** What the engine says about a migration as it goes: its `migration.*` events, logs and outcome metrics. */
import type { Logger } from "../../log.ts";
import type { EventSink } from "../../runtime/emit/sink.ts";
import { errorMessage } from "../../runtime/timing.ts";
import { migrationLogContext } from "../../tracing.ts";
import type { JournalEntry } from "./machine.ts";
import { EVENT_TYPE_OF_STATUS, type MigrationEventType, migrationEvent, recordFinished } from "./outcome.ts";

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
