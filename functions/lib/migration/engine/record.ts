/**
 * A migration's record and its journal line, pure: the record as the steps of the
 * make-before-break protocol (docs/architecture.md "Flow of one migration") leave it, and
 * the admission of a request. machine.ts says which step comes when.
 */
import type { TwinDeployment } from "../../model/driver.ts";
import {
  MIGRATION_STEPS,
  type Migration,
  type MigrationOperation,
  type MigrationRequest,
  type MigrationStep,
} from "../../model/migration.ts";

/** One journal line: the record as of a step, and the deployments needed to undo or finish it. */
export interface JournalEntry {
  migration: Migration;
  target?: TwinDeployment;
  source?: TwinDeployment;
  traceparent?: string;
}

/** What the engine knows when a request arrives. */
export interface AdmissionContext {
  /** MEC ids of the topology. */
  mecs: ReadonlySet<string>;
  /** The twin's home now; undefined when it has none yet. */
  home: string | undefined;
  /** A migration with the request's id, if one was seen already. */
  sameId: Migration | undefined;
  /** The migration of this twin that is running, if any. */
  runningForTwin: Migration | undefined;
}

/** Why a request is refused; `source-not-deployed` passes (the twin's first home may be on its way). */
export const REJECTION_CODES = [
  "unknown-target",
  "same-target",
  "unknown-source",
  "source-not-deployed",
] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export type Admission =
  | { kind: "accept"; from: string }
  | { kind: "duplicate"; migration: Migration }
  | { kind: "conflict"; migration: Migration }
  | { kind: "rejected"; code: RejectionCode; error: string };

export function admit(request: MigrationRequest, context: AdmissionContext): Admission {
  if (context.sameId !== undefined) return { kind: "duplicate", migration: context.sameId };
  if (context.runningForTwin !== undefined) return { kind: "conflict", migration: context.runningForTwin };
  if (!context.mecs.has(request.to)) {
    return { kind: "rejected", code: "unknown-target", error: `unknown target MEC "${request.to}"` };
  }
  // A twin created at a MEC from its own events gets its twin CNF there: a deployment, no move.
  if (isFirstHome(request)) return { kind: "accept", from: request.to };
  // The home is the truth; a request's `from` may be stale by the time it arrives.
  const from = context.home ?? request.from;
  if (!context.mecs.has(from)) {
    return { kind: "rejected", code: "unknown-source", error: `twin ${request.twin} is at no known MEC` };
  }
  if (from === request.to) {
    return { kind: "rejected", code: "same-target", error: `twin ${request.twin} already lives at ${from}` };
  }
  return { kind: "accept", from };
}

/**
 * A request to give a twin its twin CNF at the MEC it was created in (a cluster's twin function
 * holds it until then): the steps place and wait until ready, and release nothing, since the
 * source is the target.
 */
export function isFirstHome(request: Pick<MigrationRequest, "from" | "to" | "reason">): boolean {
  return request.reason === "first-placement" && request.from === request.to;
}

export function reserve(request: MigrationRequest, from: string, driver: string): Migration {
  return {
    id: request.id,
    twin: request.twin,
    from,
    to: request.to,
    trigger: request.trigger,
    reason: request.reason,
    status: "running",
    step: "reserved",
    driver,
    requestedAt: request.requestedAt,
  };
}

export function stepDone(migration: Migration, step: MigrationStep, timing: Partial<Timing> = {}): Migration {
  if (MIGRATION_STEPS.indexOf(step) < MIGRATION_STEPS.indexOf(migration.step)) {
    throw new Error(`migration ${migration.id}: step ${step} after ${migration.step}`);
  }
  return { ...migration, step, ...timing };
}

/** The record with one more orchestrator action, for the API to show the driver's ids. */
export function withOperation(migration: Migration, operation: MigrationOperation): Migration {
  return { ...migration, operations: [...(migration.operations ?? []), operation] };
}

interface Timing {
  timeUntilReadyMs: number;
  timeUntilDoneMs: number;
}

export function completed(migration: Migration, finishedAt: string, timeUntilDoneMs?: number): Migration {
  const done: Migration = { ...migration, status: "completed", step: "done", finishedAt };
  return timeUntilDoneMs === undefined ? done : { ...done, timeUntilDoneMs };
}

/** Failed before the switch and undone: the twin stays at the source. */
export function rolledBack(migration: Migration, error: string, finishedAt: string): Migration {
  return { ...migration, status: "rolled-back", error, finishedAt };
}

/** Failed after the switch: the twin lives at the target, the source could not be released. */
export function failed(migration: Migration, error: string, finishedAt: string): Migration {
  return { ...migration, status: "failed", error, finishedAt };
}

export function hasSwitched(migration: Migration): boolean {
  return MIGRATION_STEPS.indexOf(migration.step) >= MIGRATION_STEPS.indexOf("switched");
}
