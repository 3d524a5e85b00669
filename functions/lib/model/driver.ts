/**
 * An orchestrator driver: how a twin is placed at, checked at and released from a MEC.
 * The engine (functions/lib/migration/engine.ts) runs the protocol of docs/architecture.md
 * "Flow of one migration" over this.
 */
import { z } from "zod";
import type { TwinSnapshot } from "./twin.ts";

export interface PlacementRequest {
  migrationId: string;
  /**
   * The placement the journal recorded for this migration's target, when it is placed again:
   * a driver reuses it if it still exists, and never adopts anything else by name.
   */
  recorded?: Placement;
  twin: string;
  mec: string;
  /** The source's state; the target hydrates from it. */
  snapshot: TwinSnapshot | undefined;
  /** MEC to hydrate from, for drivers whose targets pull the state themselves. */
  sourceMec: string;
}

/** Opaque handle a driver gives back for a placement (e.g. OSM NS instance id). */
export const PlacementSchema = z.object({
  driver: z.string().min(1),
  twin: z.string().min(1),
  mec: z.string().min(1),
  ref: z.string(),
});
export type Placement = z.infer<typeof PlacementSchema>;

export interface MigrationDriver {
  readonly name: string;
  /** Step 2: create the twin at the target. */
  place(request: PlacementRequest, signal: AbortSignal): Promise<Placement>;
  /** Step 3: resolves when the target twin is subscribed and hydrated; rejects on timeout or failure. */
  waitUntilReady(placement: Placement, signal: AbortSignal): Promise<void>;
  /**
   * Step 5 (and rollback of step 2): remove the twin from a MEC. Idempotent. May give back a ref
   * of what it did (e.g. the OSM termination's operation id) for the migration's record.
   */
  release(placement: Placement, signal: AbortSignal): Promise<string | undefined>;
  /** The placement of a twin already living at a MEC (the source of a migration). */
  existing(twin: string, mec: string): Placement;
  /**
   * Optional: the twin at this placement is the home now (after the switch at the target,
   * after a rollback at the source), e.g. to mark it stable. Failures are logged, not fatal.
   */
  activate?(placement: Placement, signal: AbortSignal): Promise<void>;
  /**
   * Optional: the placement of a twin living at a MEC as its host there reports it, for a twin
   * another MEC's control plane placed there (this journal has no record of it); undefined when
   * the twin does not live there.
   */
  hosted?(twin: string, mec: string, signal: AbortSignal): Promise<Placement | undefined>;
}
