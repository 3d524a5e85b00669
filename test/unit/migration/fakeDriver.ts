/** A scriptable in-memory driver for engine tests: records every call, fails or hangs on request. */
import type {
  DeploymentRequest,
  MigrationDriver,
  TwinDeployment,
} from "../../../functions/lib/model/driver.ts";

export interface FakeDriverScript {
  placeFails?: boolean;
  /** waitUntilReady never resolves (until its signal aborts). */
  neverReady?: boolean;
  /** waitUntilReady waits for this promise. */
  readyGate?: Promise<void>;
  /** The first N releases fail. */
  releaseFailures?: number;
  /** release never resolves. */
  releaseHangs?: boolean;
  /**
   * Each deployment gets its own ref (`<mec>/<twin>#<n>`, as an orchestrator's instance id) and a
   * release gives back `released:<ref>`, as an orchestrator's operation id.
   */
  ownRefs?: boolean;
  /** The driver answers `hosted` (as the kubernetes and OSM drivers do): from `present` and `hostedRefs`. */
  hosts?: boolean;
}

export class FakeDriver implements MigrationDriver {
  readonly calls: string[] = [];
  /** The refs release was called with, in order. */
  readonly releasedRefs: string[] = [];
  private deployments = 0;
  /** Twins present per MEC, as the driver sees them. */
  private releaseFailuresLeft: number;

  constructor(
    readonly name: string,
    private readonly script: FakeDriverScript = {},
    /** Twins present per MEC; pass one map to several drivers to model one world. */
    readonly present = new Map<string, Set<string>>(),
  ) {
    this.releaseFailuresLeft = script.releaseFailures ?? 0;
    if (!script.hosts) this.hosted = undefined;
  }

  at(mec: string): Set<string> {
    let twins = this.present.get(mec);
    if (twins === undefined) {
      twins = new Set();
      this.present.set(mec, twins);
    }
    return twins;
  }

  async place(request: DeploymentRequest, _signal: AbortSignal): Promise<TwinDeployment> {
    this.calls.push(`place ${request.twin}@${request.mec}`);
    if (this.script.placeFails) throw new Error("target refused the twin");
    this.at(request.mec).add(request.twin);
    const deployment = this.existing(request.twin, request.mec);
    if (this.script.ownRefs) deployment.ref += `#${++this.deployments}`;
    return deployment;
  }

  async waitUntilReady(deployment: TwinDeployment, signal: AbortSignal): Promise<void> {
    this.calls.push(`wait ${deployment.twin}@${deployment.mec}`);
    if (this.script.readyGate) await this.script.readyGate;
    if (this.script.neverReady) {
      await new Promise<void>((_, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }
  }

  async release(deployment: TwinDeployment, _signal: AbortSignal): Promise<string | undefined> {
    this.calls.push(`release ${deployment.twin}@${deployment.mec}`);
    this.releasedRefs.push(deployment.ref);
    if (this.script.releaseHangs) await new Promise<void>(() => {});
    if (this.releaseFailuresLeft > 0) {
      this.releaseFailuresLeft--;
      throw new Error("orchestrator unavailable");
    }
    this.at(deployment.mec).delete(deployment.twin);
    return this.script.ownRefs ? `released:${deployment.ref}` : undefined;
  }

  /** What the hosts at each MEC recorded of their twins' deployments (`<mec>/<twin>` -> ref). */
  readonly hostedRefs = new Map<string, string>();

  hosted?: (twin: string, mec: string, signal: AbortSignal) => Promise<TwinDeployment | undefined> = async (
    twin,
    mec,
  ) => {
    this.calls.push(`hosted ${twin}@${mec}`);
    if (!this.at(mec).has(twin)) return undefined;
    const ref = this.hostedRefs.get(`${mec}/${twin}`);
    return ref === undefined ? this.existing(twin, mec) : { ...this.existing(twin, mec), ref };
  };

  async activate(deployment: TwinDeployment, _signal: AbortSignal): Promise<void> {
    this.calls.push(`activate ${deployment.twin}@${deployment.mec}`);
  }

  existing(twin: string, mec: string): TwinDeployment {
    return { driver: this.name, twin, mec, ref: `${mec}/${twin}` };
  }
}
