/**
 * What the migration protocol needs from the twins of one MEC. The twin service
 * (functions/lib/twin/service.ts) implements it; the local driver calls it in-process,
 * and the twin CNF serves it over HTTP for the kubernetes and OSM drivers.
 */
import type { TwinSnapshot, TwinStatus } from "../../model/twin.ts";

export interface TwinHostApi {
  readonly mec: string;
  /** Step 3, first half: from now on, events for this twin are parked here until hydrate. */
  expect(twinId: string): Promise<void>;
  /** Step 3, second half: install the source's snapshot, then apply parked events newer than its cut. */
  hydrate(snapshot: TwinSnapshot): Promise<void>;
  /** Hydrated and applying events. */
  isReady(twinId: string): Promise<boolean>;
  /** The state at a cut (the source side of step 3). */
  snapshot(twinId: string): Promise<TwinSnapshot | undefined>;
  /** Marks the twin stable or migrating (shown in the API and dashboards). */
  setStatus(twinId: string, status: TwinStatus): Promise<void>;
  /** Step 5, or the rollback of step 3: drop the twin and anything parked for it, with no expiry event. */
  release(twinId: string): Promise<void>;
}
