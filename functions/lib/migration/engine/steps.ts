/**
 * Running one migration: the make-before-break steps of docs/architecture.md "Flow of one
 * migration" (place, ready, switch, release),
 * the rollback before the switch, and resuming either after a restart. Each step is saved
 * (journal first) before the next one starts.
 */

import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../../log.ts";
import type { Placement } from "../../model/driver.ts";
import type { Migration } from "../../model/migration.ts";
import { bounded, errorMessage } from "../../runtime/timing.ts";
import type { MigrationHistory } from "./history.ts";
import {
  completed,
  failed,
  isFirstHomePlacement,
  type JournalEntry,
  type RecoveryAction,
  rolledBack,
  stepDone,
  withOperation,
} from "./machine.ts";
import { type MigrationEngineOptions, stepTimeoutMs } from "./options.ts";
import type { MigrationReporter } from "./report.ts";

export class MigrationSteps {
  constructor(
    private readonly options: MigrationEngineOptions,
    private readonly history: MigrationHistory,
    private readonly report: MigrationReporter,
    private readonly logger: Logger,
    /** Aborts waits before the switch (the engine shutting down). */
    private readonly signal: AbortSignal,
  ) {}

  async run(initial: JournalEntry, startedAt: number): Promise<Migration> {
    let entry = initial;
    const { migration } = entry;
    const driver = this.options.driverFor(migration.to);
    const signal = this.signal;
    const source = await this.sourcePlacement(migration);
    try {
      const target = await bounded(
        "place at the target",
        stepTimeoutMs(this.options, "place"),
        signal,
        (inner) =>
          driver.place(
            {
              migrationId: migration.id,
              recorded: entry.target,
              twin: migration.twin,
              mec: migration.to,
              snapshot: undefined,
              sourceMec: migration.from,
            },
            inner,
          ),
      );
      const placed = withOperation(entry.migration, { action: "place", mec: target.mec, ref: target.ref });
      entry = { ...entry, target, source, migration: stepDone(placed, "placed") };
      await this.history.save(entry);
      await bounded("wait until the target is ready", stepTimeoutMs(this.options, "ready"), signal, (inner) =>
        driver.waitUntilReady(target, inner),
      );
      const timeUntilReadyMs = performance.now() - startedAt;
      entry = { ...entry, migration: stepDone(entry.migration, "ready", { timeUntilReadyMs }) };
      await this.history.save(entry);
      await this.report.emit("io.vvcu.migration.ready", entry);
    } catch (error) {
      return this.rollBack({ ...entry, source }, errorMessage(error));
    }
    this.options.placement.setHome(migration.twin, migration.to);
    entry = { ...entry, migration: stepDone(entry.migration, "switched") };
    await this.history
      .save(entry)
      .catch((error) => this.report.warn(entry, error, "journal write after the switch failed"));
    await this.activate(entry, entry.target);
    // A first placement's source is its target: nothing to release.
    if (isFirstHomePlacement(migration)) return this.finish(entry, startedAt);
    return this.releaseSource(entry, startedAt);
  }

  /**
   * The ids the journal recorded when a migration placed the twin there, else those its host there
   * keeps (another MEC's control plane placed it); never a guess by name.
   */
  private async sourcePlacement(migration: Migration): Promise<Placement> {
    const recorded = this.history.recordedPlacement(migration.twin, migration.from);
    if (recorded) return recorded;
    const driver = this.options.driverFor(migration.from);
    if (isFirstHomePlacement(migration)) return driver.existing(migration.twin, migration.from);
    const hosted = await driver.hosted?.(migration.twin, migration.from, this.signal).catch(() => undefined);
    return hosted ?? driver.existing(migration.twin, migration.from);
  }

  /** Picks up a journaled migration a restart interrupted: undone before its switch, finished after. */
  resume(entry: JournalEntry, action: Exclude<RecoveryAction, "none">): Promise<Migration> {
    const { migration } = entry;
    if (action === "roll-back") return this.rollBack(entry, "interrupted by a restart before the switch");
    if (this.options.placement.homeOf(migration.twin) !== migration.to) {
      this.options.placement.setHome(migration.twin, migration.to);
    }
    return action === "finish" || isFirstHomePlacement(migration)
      ? this.finish(entry, undefined)
      : this.releaseSource(entry, undefined);
  }

  private async releaseSource(initial: JournalEntry, startedAt: number | undefined): Promise<Migration> {
    let entry = initial;
    const { migration } = entry;
    const placement =
      entry.source ?? this.options.driverFor(migration.from).existing(migration.twin, migration.from);
    let released: Migration;
    try {
      released = await this.releaseWithRetries(migration, placement);
    } catch (error) {
      const message = `release of the source at ${migration.from} failed: ${errorMessage(error)}`;
      return this.finishWith({ ...entry, migration: failed(migration, message, new Date().toISOString()) });
    }
    entry = { ...entry, migration: stepDone(released, "released") };
    await this.history
      .save(entry)
      .catch((error) => this.report.warn(entry, error, "journal write after the release failed"));
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
    let { migration } = entry;
    const driver = this.options.driverFor(migration.to);
    let error = reason;
    // A first placement's target is also where the twin lives: its record must stay, so the
    // driver's release (which deletes it) is not called; a later placement re-applies the same objects.
    if (isFirstHomePlacement(migration)) {
      return this.finishWith({ ...entry, migration: rolledBack(migration, error, new Date().toISOString()) });
    }
    try {
      migration = await this.releaseWithRetries(
        migration,
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
    await this.history
      .save(entry)
      .catch((error) => this.report.warn(entry, error, "journal write of the outcome failed"));
    this.history.unlock(migration);
    await this.report.finished(entry);
    this.history.trim();
    return migration;
  }

  /** Releases, and gives back the record with the release's operation. */
  private async releaseWithRetries(migration: Migration, placement: Placement): Promise<Migration> {
    const { mec } = placement;
    const driver = this.options.driverFor(mec);
    const attempts = Math.max(1, this.options.releaseAttempts ?? 5);
    let delayMs = this.options.releaseRetryDelayMs ?? 100;
    // Releases run to the end even while shutting down: a half-released twin is worse.
    const never = new AbortController().signal;
    for (let attempt = 1; ; attempt++) {
      try {
        const ref = await bounded(
          `release at ${mec}`,
          stepTimeoutMs(this.options, "release"),
          never,
          (inner) => driver.release(placement, inner),
        );
        return withOperation(migration, { action: "release", mec, ref: ref || placement.ref });
      } catch (error) {
        if (attempt >= attempts) throw error;
        this.logger.warn(
          { twin: placement.twin, mec, attempt, error: errorMessage(error) },
          "release failed, retrying",
        );
        await delay(delayMs);
        delayMs *= 2;
      }
    }
  }

  private async activate(entry: JournalEntry, placement: Placement | undefined): Promise<void> {
    if (placement === undefined) return;
    const driver = this.options.driverFor(placement.mec);
    if (driver.activate === undefined) return;
    try {
      await bounded(
        "activate",
        stepTimeoutMs(this.options, "release"),
        new AbortController().signal,
        (inner) =>
          // biome-ignore lint/style/noNonNullAssertion: checked just above; TS loses it across the closure
          driver.activate!(placement, inner),
      );
    } catch (error) {
      this.report.warn(entry, error, `could not mark the twin active at ${placement.mec}`);
    }
  }
}
