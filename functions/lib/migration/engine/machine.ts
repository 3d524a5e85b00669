/**
 * The migration state machine, pure: the make-before-break protocol of docs/architecture.md
 * "Flow of one migration" as phases. Each transition takes the phase and what the last command
 * gave, and returns the next phase with the record as of it, the effects to perform in order,
 * then at most one command whose result is the next event. The executor (executor.ts) performs
 * them; nothing here calls a driver, writes the journal or reads a clock.
 *
 *   placing ─placed→ journaling-placed ─journaled→ readying ─ready→ journaling-ready
 *     ─journaled→ (home := target) journaling-switched → activating-target
 *     → releasing-source ─released→ journaling-released → journaling-outcome (completed)
 *   Before the switch a failure rolls back: rolling-back (release the target, home := source)
 *     → activating-source → journaling-outcome (rolled-back).
 *   After the switch it only finishes: a failed journal write or activation is warned of, a
 *     failed release of the source ends the migration failed. A first home releases nothing.
 */
import type { DeploymentRequest, TwinDeployment } from "../../model/driver.ts";
import type { Migration } from "../../model/migration.ts";
import {
  completed,
  failed,
  hasSwitched,
  isFirstHome,
  type JournalEntry,
  rolledBack,
  stepDone,
  withOperation,
} from "./record.ts";

export type Phase =
  | "placing"
  | "journaling-placed"
  | "readying"
  | "journaling-ready"
  | "journaling-switched"
  | "activating-target"
  | "releasing-source"
  | "journaling-released"
  | "rolling-back"
  | "activating-source"
  | "journaling-outcome"
  | "finished";

export interface MachineState {
  phase: Phase;
  /** The record as of the last step, with the deployments to undo or finish it. */
  entry: JournalEntry;
  /** The source's deployment as the journal recorded it or its driver names it; undefined after a restart. */
  source: TwinDeployment | undefined;
  /** Monotonic ms at the request; undefined after a restart, when no time is measured. */
  startedAt: number | undefined;
  /** Why the migration rolls back (rolling-back, activating-source). */
  error?: string;
}

/** What the last command gave. */
export type MachineEvent =
  | { type: "placed"; target: TwinDeployment }
  | { type: "ready" }
  | { type: "journaled" }
  | { type: "activated" }
  | { type: "released"; mec: string; ref: string }
  | { type: "failed"; error: string };

/** When an event happened: monotonic ms for durations, wall time for the record. */
export interface Clock {
  now: number;
  at: string;
}

/** Performed in order, they give no event. */
export type Effect =
  | { kind: "emit"; type: "io.vvcu.migration.ready"; entry: JournalEntry }
  | { kind: "set-home"; twin: string; mec: string }
  | { kind: "warn"; entry: JournalEntry; error: string; message: string }
  /** The outcome is journaled: unlock the twin and report the outcome. */
  | { kind: "finish"; entry: JournalEntry };

/** Performed after the effects, its result (or failure) is the next event. */
export type Command =
  | { kind: "place"; request: DeploymentRequest }
  | { kind: "wait-until-ready"; target: TwinDeployment }
  | { kind: "journal"; entry: JournalEntry }
  | { kind: "activate"; deployment: TwinDeployment }
  /** Release the twin at `mec`: by the recorded deployment, else by the one its driver names. */
  | { kind: "release"; twin: string; mec: string; recorded: TwinDeployment | undefined };

/** No command once finished. */
export interface Transition {
  state: MachineState;
  effects: Effect[];
  command?: Command;
}

export type RecoveryAction = "none" | "roll-back" | "release-source" | "finish";

/** A migration whose reservation is journaled: place the twin at the target. */
export function start(entry: JournalEntry, source: TwinDeployment, startedAt: number): Transition {
  const { migration } = entry;
  const request: DeploymentRequest = {
    migrationId: migration.id,
    recorded: entry.target,
    twin: migration.twin,
    mec: migration.to,
    snapshot: undefined,
    sourceMec: migration.from,
  };
  return {
    state: { phase: "placing", entry, source, startedAt },
    effects: [],
    command: { kind: "place", request },
  };
}

/** What to do with a journal record after a restart: before the switch undo, after it finish. */
export function recoveryAction(migration: Migration): RecoveryAction {
  if (migration.status !== "running") return "none";
  if (!hasSwitched(migration)) return "roll-back";
  if (migration.step === "switched") return "release-source";
  return "finish";
}

/** Picks up a journaled migration a restart interrupted. */
export function resume(
  entry: JournalEntry,
  action: Exclude<RecoveryAction, "none">,
  clock: Clock,
): Transition {
  // Each way on sets its own phase; no time is measured across a restart.
  const state: MachineState = { phase: "rolling-back", entry, source: undefined, startedAt: undefined };
  if (action === "roll-back") return rollBack(state, "interrupted by a restart before the switch", clock);
  const { migration } = entry;
  const next = action === "finish" || isFirstHome(migration) ? complete(state, clock) : releaseSource(state);
  return before([{ kind: "set-home", twin: migration.twin, mec: migration.to }], next);
}

export function transition(state: MachineState, event: MachineEvent, clock: Clock): Transition {
  const { phase, entry } = state;
  const { migration } = entry;
  const failure = event.type === "failed" ? event.error : undefined;
  const beforeSwitch = ["placing", "journaling-placed", "readying", "journaling-ready"].includes(phase);
  if (failure !== undefined && beforeSwitch) return rollBack(state, failure, clock);
  const settles = (type: MachineEvent["type"]) => event.type === type || failure !== undefined;
  switch (phase) {
    case "placing": {
      if (event.type !== "placed") break;
      const { target } = event;
      const placed = withOperation(migration, { action: "place", mec: target.mec, ref: target.ref });
      const next = { ...entry, target, source: state.source, migration: stepDone(placed, "placed") };
      return journal({ ...state, phase: "journaling-placed" }, next);
    }
    case "journaling-placed": {
      if (event.type !== "journaled" || entry.target === undefined) break;
      const command: Command = { kind: "wait-until-ready", target: entry.target };
      return { state: { ...state, phase: "readying" }, effects: [], command };
    }
    case "readying": {
      if (event.type !== "ready") break;
      const timing = state.startedAt === undefined ? {} : { timeUntilReadyMs: clock.now - state.startedAt };
      const ready = { ...entry, migration: stepDone(migration, "ready", timing) };
      return journal({ ...state, phase: "journaling-ready" }, ready);
    }
    case "journaling-ready": {
      if (event.type !== "journaled") break;
      const switched = { ...entry, migration: stepDone(migration, "switched") };
      return before(
        [
          { kind: "emit", type: "io.vvcu.migration.ready", entry },
          { kind: "set-home", twin: migration.twin, mec: migration.to },
        ],
        journal({ ...state, phase: "journaling-switched" }, switched),
      );
    }
    case "journaling-switched":
      if (!settles("journaled")) break;
      return warnedOf(failure, "journal write after the switch failed", state, () =>
        activate({ ...state, phase: "activating-target" }, entry.target, () => afterSwitch(state, clock)),
      );
    case "activating-target":
      if (!settles("activated")) break;
      return warnedOf(failure, `could not mark the twin active at ${entry.target?.mec}`, state, () =>
        afterSwitch(state, clock),
      );
    case "releasing-source": {
      if (failure !== undefined) {
        const message = `release of the source at ${migration.from} failed: ${failure}`;
        return outcome(state, failed(migration, message, clock.at));
      }
      if (event.type !== "released") break;
      const released = { ...entry, migration: stepDone(withRelease(migration, event), "released") };
      return journal({ ...state, phase: "journaling-released" }, released);
    }
    case "journaling-released":
      if (!settles("journaled")) break;
      return warnedOf(failure, "journal write after the release failed", state, () => complete(state, clock));
    case "rolling-back": {
      if (!settles("released")) break;
      const back: MachineState =
        event.type === "released"
          ? { ...state, entry: { ...entry, migration: withRelease(migration, event) } }
          : {
              ...state,
              error: `${state.error}; the target at ${migration.to} could not be released: ${failure}`,
            };
      return before(
        [{ kind: "set-home", twin: migration.twin, mec: migration.from }],
        activate({ ...back, phase: "activating-source" }, entry.source, () => rolledBackOutcome(back, clock)),
      );
    }
    case "activating-source":
      if (!settles("activated")) break;
      return warnedOf(failure, `could not mark the twin active at ${entry.source?.mec}`, state, () =>
        rolledBackOutcome(state, clock),
      );
    case "journaling-outcome":
      if (!settles("journaled")) break;
      return warnedOf(failure, "journal write of the outcome failed", state, () => ({
        state: { ...state, phase: "finished" },
        effects: [{ kind: "finish", entry }],
      }));
    case "finished":
      break;
  }
  throw new Error(`migration ${migration.id}: no transition from ${phase} on ${event.type}`);
}

/** Before the switch: release the target and stay at the source. A first home's target is its home: kept. */
function rollBack(state: MachineState, error: string, clock: Clock): Transition {
  const entry = state.source === undefined ? state.entry : { ...state.entry, source: state.source };
  const { migration } = entry;
  // The driver's release would delete the twin's only record; a later deployment re-applies the same objects.
  if (isFirstHome(migration)) return outcome({ ...state, entry }, rolledBack(migration, error, clock.at));
  return {
    state: { ...state, phase: "rolling-back", entry, error },
    effects: [],
    command: { kind: "release", twin: migration.twin, mec: migration.to, recorded: entry.target },
  };
}

function rolledBackOutcome(state: MachineState, clock: Clock): Transition {
  return outcome(state, rolledBack(state.entry.migration, state.error ?? "", clock.at));
}

/** After the switch and the target's activation: release the source, unless it is the target. */
function afterSwitch(state: MachineState, clock: Clock): Transition {
  return isFirstHome(state.entry.migration) ? complete(state, clock) : releaseSource(state);
}

function releaseSource(state: MachineState): Transition {
  const { migration, source } = state.entry;
  return {
    state: { ...state, phase: "releasing-source" },
    effects: [],
    command: { kind: "release", twin: migration.twin, mec: migration.from, recorded: source },
  };
}

function complete(state: MachineState, clock: Clock): Transition {
  const timeUntilDoneMs = state.startedAt === undefined ? undefined : clock.now - state.startedAt;
  return outcome(state, completed(state.entry.migration, clock.at, timeUntilDoneMs));
}

function outcome(state: MachineState, migration: Migration): Transition {
  return journal({ ...state, phase: "journaling-outcome" }, { ...state.entry, migration });
}

function journal(state: MachineState, entry: JournalEntry): Transition {
  return { state: { ...state, entry }, effects: [], command: { kind: "journal", entry } };
}

/** Activates a deployment that is known; without one, goes on at once. */
function activate(
  state: MachineState,
  deployment: TwinDeployment | undefined,
  then: () => Transition,
): Transition {
  if (deployment === undefined) return then();
  return { state, effects: [], command: { kind: "activate", deployment } };
}

function before(effects: Effect[], next: Transition): Transition {
  return { ...next, effects: [...effects, ...next.effects] };
}

/** After the switch a failure is only reported: the migration goes on. */
function warnedOf(
  failure: string | undefined,
  message: string,
  state: MachineState,
  then: () => Transition,
): Transition {
  const next = then();
  return failure === undefined
    ? next
    : before([{ kind: "warn", entry: state.entry, error: failure, message }], next);
}

function withRelease(migration: Migration, released: { mec: string; ref: string }): Migration {
  return withOperation(migration, { action: "release", mec: released.mec, ref: released.ref });
}
