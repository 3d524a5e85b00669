/**
 * An orchestrator driver: how a twin is placed at, checked at and released from a MEC.
 * The engine (functions/lib/migration/engine.ts) runs the protocol of docs/architecture.md
 * "Flow of one migration" over this.
 */
import { z } from "zod";
import type { TwinSnapshot } from "./twin.ts";

export interface DeploymentRequest {
  migrationId: string;
  /**
   * The deployment the journal recorded for this migration's target, when it is placed again:
   * a driver reuses it if it still exists, and never adopts anything else by name.
   */
  recorded?: TwinDeployment;
  twin: string;
  mec: string;
  /** The source's state; the target hydrates from it. */
  snapshot: TwinSnapshot | undefined;
  /** MEC to hydrate from, for drivers whose targets pull the state themselves. */
  sourceMec: string;
}

/** Opaque handle a driver gives back for a deployment (e.g. OSM NS instance id). */
export const TwinDeploymentSchema = z.object({
  driver: z.string(),
  twin: z.string(),
  mec: z.string(),
  ref: z.string(),
});
export type TwinDeployment = z.infer<typeof TwinDeploymentSchema>;

export interface MigrationDriver {
  readonly name: string;
  /** Step 2: create the twin at the target. */
  place(request: DeploymentRequest, signal: AbortSignal): Promise<TwinDeployment>;
  /** Step 3: resolves when the target twin is subscribed and hydrated; rejects on timeout or failure. */
  waitUntilReady(deployment: TwinDeployment, signal: AbortSignal): Promise<void>;
  /**
   * Step 5 (and rollback of step 2): remove the twin from a MEC. Idempotent. May give back a ref
   * of what it did (e.g. the OSM termination's operation id) for the migration's record.
   */
  release(deployment: TwinDeployment, signal: AbortSignal): Promise<string | undefined>;
  /** The deployment of a twin already living at a MEC (the source of a migration). */
  existing(twin: string, mec: string): TwinDeployment;
  /**
   * Optional: the twin at this deployment is the home now (after the switch at the target,
   * after a rollback at the source), e.g. to mark it stable. Failures are logged, not fatal.
   */
  activate?(deployment: TwinDeployment, signal: AbortSignal): Promise<void>;
  /**
   * Optional: the deployment of a twin living at a MEC as its host there reports it, for a twin
   * another MEC's control plane deployed there (this journal has no record of it); undefined when
   * the twin does not live there.
   */
  hosted?(twin: string, mec: string, signal: AbortSignal): Promise<TwinDeployment | undefined>;
}
