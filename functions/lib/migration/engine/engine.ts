/**
 * The migration engine: the make-before-break protocol (docs/architecture.md "Flow of one
 * migration") over one MigrationDriver per MEC. One migration per twin at a time, idempotent
 * by id, every step journaled before the next one starts, `migration.*` events at each step.
 * This is the shell that admits requests (record.ts decides) and recovers after a restart; the
 * protocol is the state machine of machine.ts, which executor.ts runs. The bookkeeping is in
 * history.ts, what it reports in report.ts.
 */
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import type { CloudEventV1 } from "cloudevents";
import { EXTENSIONS, parseEventData } from "../../events.ts";
import { componentLogger, type Logger } from "../../log.ts";
import type { MigrationDriver, TwinDeployment } from "../../model/driver.ts";
import type { Migration, MigrationRequest } from "../../model/migration.ts";
import { migrationLogContext } from "../../tracing.ts";
import { MigrationExecutor } from "./executor.ts";
import { MigrationHistory } from "./history.ts";
import { recoveryAction } from "./machine.ts";
import type { MigrationEngineOptions } from "./options.ts";
import { admit, isFirstHome, type JournalEntry, type RejectionCode, reserve } from "./record.ts";
import { initMigrationMetrics, MigrationReporter } from "./report.ts";

export type { MigrationEngineOptions } from "./options.ts";

/** What the source's host said: where the twin lives, and whether it has a twin CNF there. */
interface SourceCheck {
  home: string | undefined;
  deployed: boolean;
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
  private readonly history: MigrationHistory;
  private readonly report: MigrationReporter;
  private readonly executor: MigrationExecutor;
  private readonly shutdown = new AbortController();
  private readonly logger: Logger;

  constructor(private readonly options: MigrationEngineOptions) {
    this.mecs = new Set(options.mecs);
    this.logger = options.logger ?? componentLogger("migration");
    this.history = new MigrationHistory(options.journal, options.historyLimit ?? 1000);
    this.report = new MigrationReporter(options.sink, options.mec ?? "control", this.logger);
    // Each running migration's step deadline listens for the shutdown (and stops listening when the
    // step ends): dozens at once in dense traffic, which is no leak but made Node warn of one.
    setMaxListeners(0, this.shutdown.signal);
    this.executor = new MigrationExecutor(
      options,
      this.history,
      this.report,
      this.logger,
      this.shutdown.signal,
    );
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
    // Waits only when it must: without a wait, the twin's lock is taken synchronously.
    let home = this.options.homes.homeOf(request.twin);
    let source: SourceCheck | undefined;
    for (;;) {
      // A twin may cross right after it was created: its move waits for its first twin CNF (the
      // move's source) instead of being refused while it is placed, also while the first home's
      // first journal entry is still being written.
      const placing = this.history.runningFor(request.twin);
      if (placing !== undefined && placing.id !== request.id && isFirstHome(placing)) {
        await this.history.unlocked(placing.id);
        home = this.options.homes.homeOf(request.twin);
        source = undefined;
      } else if (source === undefined && this.needsSourceCheck(request, home)) {
        source = await this.checkSource(request, home);
        home = source.home;
      } else break;
    }
    if (source?.deployed === false && this.history.known(request.id) === undefined) {
      const error = `twin ${request.twin} has no twin CNF at ${source.home ?? request.from} yet`;
      this.logger.info({ ...migrationLogContext(request, context.traceparent), error }, "migration refused");
      return { kind: "rejected", code: "source-not-deployed", error };
    }
    const startedAt = performance.now();
    const admission = admit(request, {
      mecs: this.mecs,
      home,
      sameId: this.history.known(request.id),
      runningForTwin: this.history.runningFor(request.twin),
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
    this.history.lock(migration);
    const entry: JournalEntry = { migration, traceparent: context.traceparent };
    try {
      await this.history.save(entry);
    } catch (error) {
      this.history.forget(migration);
      throw error;
    }
    await this.report.emit("io.vvcu.migration.started", entry);
    this.history.track(migration.id, this.executor.run(entry, startedAt));
    return { kind: "started", migration };
  }

  /**
   * Whether to ask the source's host before admitting a move (drivers whose twins have hosts of
   * their own, in a cluster): the registry disagrees with the request, or no journal entry of this
   * engine deployed the twin at its source. Not for duplicates and conflicts, which need no source.
   */
  private needsSourceCheck(request: MigrationRequest, home: string | undefined): boolean {
    if (isFirstHome(request) || this.history.known(request.id) || this.history.runningFor(request.twin))
      return false;
    if (!this.mecs.has(request.from) || request.from === request.to) return false;
    if (this.hostedFn(request.from) === undefined) return false;
    if (home !== undefined) return home !== request.from;
    return this.history.recordedDeployment(request.twin, request.from) === undefined;
  }

  /**
   * Asks the host at the request's source whether the twin lives there. In a cluster each MEC's
   * engine hears only of its own migrations: after another MEC's control plane brought the twin
   * back, this registry still names where this engine sent it (the host there says otherwise);
   * and a move asked for before the twin's first home was even requested finds no host there.
   */
  private async checkSource(request: MigrationRequest, home: string | undefined): Promise<SourceCheck> {
    let hosted: TwinDeployment | undefined;
    try {
      hosted = await this.hostedFn(request.from)?.(request.twin, request.from, this.shutdown.signal);
    } catch {
      hosted = undefined;
    }
    if (hosted !== undefined) {
      if (home !== request.from) this.options.homes.setHome(request.twin, request.from);
      return { home: request.from, deployed: true };
    }
    // The registry's own knowledge stands; without any, there is nothing to move from yet.
    return home !== undefined ? { home, deployed: true } : { home, deployed: false };
  }

  private hostedFn(mec: string): MigrationDriver["hosted"] {
    try {
      const driver = this.options.driverFor(mec);
      return driver.hosted?.bind(driver);
    } catch {
      return undefined;
    }
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
    // Failing the delivery has the Broker deliver it again (its retries), by when the first home
    // asked for before it has been admitted, and the move waits for it.
    if (outcome.kind === "rejected" && outcome.code === "source-not-deployed") throw new Error(outcome.error);
    if (outcome.kind === "duplicate" || outcome.kind === "conflict") {
      this.logger.debug(
        { ...migrationLogContext(parsed.data, traceparent), outcome: outcome.kind },
        "dropped migration request",
      );
    }
    return outcome;
  }

  get(id: string): Migration | undefined {
    return this.history.get(id);
  }

  /** Newest first. */
  list(filter: { twin?: string } = {}): Migration[] {
    return this.history.list(filter);
  }

  /** Resolves with the finished record (immediately for a finished or unknown id). */
  settled(id: string): Promise<Migration | undefined> {
    return this.history.settled(id);
  }

  /** Every change of a record (the geofence listens here in the embedded stack). */
  onChange(listener: (migration: Migration) => void): () => void {
    return this.history.onChange(listener);
  }

  /** After a restart: loads the journal, rolls back what had not switched, finishes what had. */
  async recover(): Promise<{ rolledBack: number; finished: number }> {
    const entries = await this.options.journal.load();
    for (const entry of entries) this.history.restore(entry);
    let rolledBackCount = 0;
    let finishedCount = 0;
    const recoveries: Promise<Migration>[] = [];
    for (const entry of entries) {
      const { migration } = entry;
      const action = recoveryAction(migration);
      if (action === "none") continue;
      this.history.lock(migration);
      this.logger.warn(
        { ...migrationLogContext(migration, entry.traceparent), step: migration.step, action },
        "recovering migration",
      );
      if (action === "roll-back") rolledBackCount++;
      else finishedCount++;
      const recovery = this.executor.resume(entry, action);
      this.history.track(migration.id, recovery);
      recoveries.push(recovery);
    }
    await Promise.all(recoveries);
    this.history.trim();
    return { rolledBack: rolledBackCount, finished: finishedCount };
  }

  /** Stops waiting: running migrations before their switch roll back, the others finish their release. */
  async close(): Promise<void> {
    this.shutdown.abort(new Error("migration engine shutting down"));
    await this.history.allSettled();
  }
}
