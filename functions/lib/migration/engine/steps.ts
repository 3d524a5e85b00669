/**
 * Running one migration: the make-before-break steps of docs/architecture.md "Flow of one
 * migration" (place, ready, switch, release),
 * the rollback before the switch, and resuming either after a restart. Each step is saved
 * (journal first) before the next one starts.
 */

import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../../log.ts";
import type { TwinDeployment } from "../../model/driver.ts";
import type { Migration } from "../../model/migration.ts";
import { bounded, errorMessage } from "../../runtime/timing.ts";
import type { MigrationHistory } from "./history.ts";
import {
  completed,
  failed,
  isFirstHome,
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
    const source = await this.sourceDeployment(migration);
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
    this.options.homes.setHome(migration.twin, migration.to);
    entry = { ...entry, migration: stepDone(entry.migration, "switched") };
    await this.history
      .save(entry)
      .catch((error) => this.report.warn(entry, error, "journal write after the switch failed"));
    await this.activate(entry, entry.target);
    // A first home's source is its target: nothing to release.
    if (isFirstHome(migration)) return this.finish(entry, startedAt);
    return this.releaseSource(entry, startedAt);
  }

  /**
   * The ids the journal recorded when a migration deployed the twin there, else those its host
   * there keeps (another MEC's control plane deployed it); never a guess by name.
   */
  private async sourceDeployment(migration: Migration): Promise<TwinDeployment> {
    const recorded = this.history.recordedDeployment(migration.twin, migration.from);
    if (recorded) return recorded;
    const driver = this.options.driverFor(migration.from);
    if (isFirstHome(migration)) return driver.existing(migration.twin, migration.from);
    const hosted = await driver.hosted?.(migration.twin, migration.from, this.signal).catch(() => undefined);
    return hosted ?? driver.existing(migration.twin, migration.from);
  }

  /** Picks up a journaled migration a restart interrupted: undone before its switch, finished after. */
  resume(entry: JournalEntry, action: Exclude<RecoveryAction, "none">): Promise<Migration> {
    const { migration } = entry;
    if (action === "roll-back") return this.rollBack(entry, "interrupted by a restart before the switch");
    if (this.options.homes.homeOf(migration.twin) !== migration.to) {
      this.options.homes.setHome(migration.twin, migration.to);
    }
    return action === "finish" || isFirstHome(migration)
      ? this.finish(entry, undefined)
      : this.releaseSource(entry, undefined);
  }

  private async releaseSource(initial: JournalEntry, startedAt: number | undefined): Promise<Migration> {
    let entry = initial;
    const { migration } = entry;
    const deployment =
      entry.source ?? this.options.driverFor(migration.from).existing(migration.twin, migration.from);
    let released: Migration;
    try {
      released = await this.releaseWithRetries(migration, deployment);
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
    // A first home's target is also where the twin lives: its record must stay, so the
    // driver's release (which deletes it) is not called; a later deployment re-applies the same objects.
    if (isFirstHome(migration)) {
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
    if (this.options.homes.homeOf(migration.twin) !== migration.from) {
      this.options.homes.setHome(migration.twin, migration.from);
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
  private async releaseWithRetries(migration: Migration, deployment: TwinDeployment): Promise<Migration> {
    const { mec } = deployment;
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
          (inner) => driver.release(deployment, inner),
        );
        return withOperation(migration, { action: "release", mec, ref: ref || deployment.ref });
      } catch (error) {
        if (attempt >= attempts) throw error;
        this.logger.warn(
          { twin: deployment.twin, mec, attempt, error: errorMessage(error) },
          "release failed, retrying",
        );
        await delay(delayMs);
        delayMs *= 2;
      }
    }
  }

  private async activate(entry: JournalEntry, deployment: TwinDeployment | undefined): Promise<void> {
    if (deployment === undefined) return;
    const driver = this.options.driverFor(deployment.mec);
    if (driver.activate === undefined) return;
    try {
      await bounded(
        "activate",
        stepTimeoutMs(this.options, "release"),
        new AbortController().signal,
        (inner) =>
          // biome-ignore lint/style/noNonNullAssertion: checked just above; TS loses it across the closure
          driver.activate!(deployment, inner),
      );
    } catch (error) {
      this.report.warn(entry, error, `could not mark the twin active at ${deployment.mec}`);
    }
  }
}
