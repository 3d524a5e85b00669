/**
 * The local driver: the embedded stack's MEC hosts live in this process. The twin's state
 * really moves: the source's snapshot is hydrated into the target's store, and events that
 * arrive meanwhile reach both (the home registry makes the target a guest receiver).
 */
import { setTimeout as delay } from "node:timers/promises";
import type { DeploymentRequest, MigrationDriver, TwinDeployment } from "../../model/driver.ts";
import type { HomeRegistry } from "../../runtime/homeRegistry.ts";
import type { TwinHostApi } from "../../twin/remote/host.ts";

export interface LocalDriverOptions {
  hosts: Map<string, TwinHostApi>;
  homes: HomeRegistry;
  /** How often waitUntilReady asks the target. */
  pollIntervalMs?: number;
  /**
   * Called after the target became a receiver and before the source's snapshot is taken:
   * resolves once events accepted for the twin before that moment have reached the source,
   * so none of them falls between the cut and the target's parking (e.g. the embedded
   * router's per-twin queue draining). Without it, delivery is assumed synchronous.
   */
  settle?: (twin: string, sourceMec: string) => Promise<void>;
}

export class LocalDriver implements MigrationDriver {
  readonly name = "local";

  constructor(private readonly options: LocalDriverOptions) {}

  async place(request: DeploymentRequest, signal: AbortSignal): Promise<TwinDeployment> {
    const source = this.host(request.sourceMec);
    const target = this.host(request.mec);
    await source.setStatus(request.twin, "migrating");
    // Park first, then subscribe: events the target receives from now on wait for the snapshot.
    await target.expect(request.twin);
    this.options.homes.addGuest(request.twin, request.mec);
    await this.options.settle?.(request.twin, request.sourceMec);
    signal.throwIfAborted();
    const snapshot = request.snapshot ?? (await source.snapshot(request.twin));
    if (snapshot === undefined) {
      throw new Error(`twin ${request.twin} has no state at ${request.sourceMec} to migrate`);
    }
    await target.hydrate(snapshot);
    return this.existing(request.twin, request.mec);
  }

  async waitUntilReady(deployment: TwinDeployment, signal: AbortSignal): Promise<void> {
    const target = this.host(deployment.mec);
    const interval = this.options.pollIntervalMs ?? 2;
    while (!(await target.isReady(deployment.twin))) {
      signal.throwIfAborted();
      await delay(interval);
    }
  }

  async release(deployment: TwinDeployment, _signal: AbortSignal): Promise<undefined> {
    const { homes: registry } = this.options;
    await this.host(deployment.mec).release(deployment.twin);
    const isGuest =
      registry.homeOf(deployment.twin) !== deployment.mec &&
      registry.receiversOf(deployment.twin).includes(deployment.mec);
    if (isGuest) registry.removeGuest(deployment.twin);
    return undefined;
  }

  async activate(deployment: TwinDeployment, _signal: AbortSignal): Promise<void> {
    await this.host(deployment.mec).setStatus(deployment.twin, "stable");
  }

  existing(twin: string, mec: string): TwinDeployment {
    return { driver: this.name, twin, mec, ref: `${mec}/${twin}` };
  }

  private host(mec: string): TwinHostApi {
    const host = this.options.hosts.get(mec);
    if (host === undefined) throw new Error(`no local twin host for MEC "${mec}"`);
    return host;
  }
}
