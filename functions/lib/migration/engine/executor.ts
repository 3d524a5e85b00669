/**
 * Runs one migration through the state machine (machine.ts): performs its effects and
 * commands (driver calls with a deadline each, journal writes, events, the home registry) and
 * feeds what each command gave back to the machine until the migration is finished.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../../log.ts";
import type { TwinDeployment } from "../../model/driver.ts";
import type { Migration } from "../../model/migration.ts";
import { bounded, errorMessage } from "../../runtime/timing.ts";
import type { MigrationHistory } from "./history.ts";
import {
  type Clock,
  type Command,
  type Effect,
  type MachineEvent,
  type RecoveryAction,
  resume,
  start,
  type Transition,
  transition,
} from "./machine.ts";
import { type MigrationEngineOptions, stepTimeoutMs } from "./options.ts";
import { isFirstHome, type JournalEntry } from "./record.ts";
import type { MigrationReporter } from "./report.ts";

export class MigrationExecutor {
  constructor(
    private readonly options: MigrationEngineOptions,
    private readonly history: MigrationHistory,
    private readonly report: MigrationReporter,
    private readonly logger: Logger,
    /** Aborts waits before the switch (the engine shutting down). */
    private readonly signal: AbortSignal,
  ) {}

  /** A migration whose reservation is journaled, from placing to its outcome. */
  async run(entry: JournalEntry, startedAt: number): Promise<Migration> {
    const source = await this.sourceDeployment(entry.migration);
    return this.drive(start(entry, source, startedAt));
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

  /** A journaled migration a restart interrupted: undone before its switch, finished after. */
  resume(entry: JournalEntry, action: Exclude<RecoveryAction, "none">): Promise<Migration> {
    return this.drive(resume(entry, action, clock()));
  }

  private async drive(first: Transition): Promise<Migration> {
    let next = first;
    for (;;) {
      for (const effect of next.effects) {
        const performing = this.perform(effect);
        if (performing !== undefined) await performing;
      }
      if (next.command === undefined) return next.state.entry.migration;
      const [event, at] = await this.execute(next.command);
      next = transition(next.state, event, at);
    }
  }

  /** Undefined for what is done at once: no wait for those. */
  private perform(effect: Effect): Promise<void> | undefined {
    switch (effect.kind) {
      case "emit":
        return this.report.emit(effect.type, effect.entry);
      case "set-home":
        // Idempotent: a resumed migration may find the home already where it belongs.
        if (this.options.homes.homeOf(effect.twin) !== effect.mec) {
          this.options.homes.setHome(effect.twin, effect.mec);
        }
        return undefined;
      case "warn":
        this.report.warn(effect.entry, effect.error, effect.message);
        return undefined;
      case "finish":
        this.history.unlock(effect.entry.migration);
        return this.report.finished(effect.entry).then(() => this.history.trim());
    }
  }

  /**
   * Performs a command; what it gave, or its failure, is the machine's next event, timed as it
   * happened (time until ready ends when the target says so, not later).
   */
  private async execute(command: Command): Promise<[MachineEvent, Clock]> {
    const { options, signal } = this;
    try {
      switch (command.kind) {
        case "place": {
          const { request } = command;
          const driver = options.driverFor(request.mec);
          const target = await bounded(
            "place at the target",
            stepTimeoutMs(options, "place"),
            signal,
            (inner) => driver.place(request, inner),
          );
          return [{ type: "placed", target }, clock()];
        }
        case "wait-until-ready": {
          const { target } = command;
          const driver = options.driverFor(target.mec);
          await bounded("wait until the target is ready", stepTimeoutMs(options, "ready"), signal, (inner) =>
            driver.waitUntilReady(target, inner),
          );
          return [{ type: "ready" }, clock()];
        }
        case "journal":
          await this.history.save(command.entry);
          return [{ type: "journaled" }, clock()];
        case "activate": {
          const { deployment } = command;
          const driver = options.driverFor(deployment.mec);
          if (driver.activate !== undefined) {
            const activate = driver.activate.bind(driver);
            await bounded("activate", stepTimeoutMs(options, "release"), never(), (inner) =>
              activate(deployment, inner),
            );
          }
          return [{ type: "activated" }, clock()];
        }
        case "release":
          return [await this.releaseWithRetries(command), clock()];
      }
    } catch (error) {
      return [{ type: "failed", error: errorMessage(error) }, clock()];
    }
  }

  private async releaseWithRetries({
    twin,
    mec,
    recorded,
  }: Extract<Command, { kind: "release" }>): Promise<MachineEvent> {
    const driver = this.options.driverFor(mec);
    const deployment = recorded ?? driver.existing(twin, mec);
    const releasing = this.options.driverFor(deployment.mec);
    const attempts = Math.max(1, this.options.releaseAttempts ?? 5);
    let delayMs = this.options.releaseRetryDelayMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        // Releases run to the end even while shutting down: a half-released twin is worse.
        const ref = await bounded(
          `release at ${deployment.mec}`,
          stepTimeoutMs(this.options, "release"),
          never(),
          (inner) => releasing.release(deployment, inner),
        );
        return { type: "released", mec: deployment.mec, ref: ref || deployment.ref };
      } catch (error) {
        if (attempt >= attempts) throw error;
        this.logger.warn(
          { twin: deployment.twin, mec: deployment.mec, attempt, error: errorMessage(error) },
          "release failed, retrying",
        );
        await delay(delayMs);
        delayMs *= 2;
      }
    }
  }
}

function clock(): Clock {
  return { now: performance.now(), at: new Date().toISOString() };
}

/** A signal that never aborts, for the calls that must run to the end. */
function never(): AbortSignal {
  return new AbortController().signal;
}
