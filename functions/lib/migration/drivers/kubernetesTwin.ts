/**
 * What the kubernetes and OSM drivers share about twin CNFs: where each MEC's twins are
 * reached, the chart values of a deployment, and the status calls to the twins themselves.
 */
import { componentLogger } from "../../log.ts";
import type { DeploymentRequest, TwinDeployment } from "../../model/driver.ts";
import { bounded, errorMessage } from "../../runtime/timing.ts";
import { RemoteTwinHost, TWIN_HOST_PATHS, twinHostUrl } from "../../twin/remote/client.ts";
import { TWIN_CNF_DEFAULTS, TWIN_CNF_PORT, type TwinCnfValues, twinCnfName } from "./kubernetesObjects.ts";

const log = componentLogger("twin-cnf");

/** Default base URL of a twin CNF: its Service's cluster DNS name. */
export const DEFAULT_TWIN_URL = `http://{name}.{namespace}.svc.cluster.local:${TWIN_CNF_PORT}`;

export interface TwinCnfSite {
  /** Namespace the MEC's twin CNFs live in. */
  namespace: string;
  /**
   * Base URL a twin CNF of this MEC is reached at from anywhere (the migration function, the
   * target twin hydrating from it), with {name}, {namespace}, {twin} and {mec} filled in (the
   * topology's `twinUrl`). Default: DEFAULT_TWIN_URL, which resolves only inside its cluster.
   */
  twinUrl?: string;
  /** Broker the twins of this MEC subscribe to (default: the chart's). */
  mqttUrl?: string;
}

export type SharedTwinCnfValues = Partial<
  Omit<TwinCnfValues, "stationId" | "mecId" | "migrationId" | "hydrateFrom">
>;

export class TwinCnfSites {
  constructor(
    private readonly sites: Record<string, TwinCnfSite>,
    private readonly shared: SharedTwinCnfValues = {},
    private readonly callTimeoutMs = 5_000,
  ) {}

  site(mec: string, orchestrator: string): TwinCnfSite {
    const site = this.sites[mec];
    if (site === undefined) throw new Error(`MEC "${mec}" has no ${orchestrator} settings in the topology`);
    return site;
  }

  has(mec: string): boolean {
    return mec in this.sites;
  }

  /** Base URL of a twin CNF at a MEC. */
  twinUrl(twin: string, mec: string): string {
    const site = this.site(mec, "twin CNF");
    const fill: Record<string, string> = {
      name: twinCnfName(twin, mec),
      namespace: site.namespace,
      twin,
      mec,
    };
    return (site.twinUrl ?? DEFAULT_TWIN_URL)
      .replace(/\{(\w+)\}/g, (match, key: string) => fill[key] ?? match)
      .replace(/\/+$/, "");
  }

  /** The chart values of a deployment: the target hydrates from the source twin's snapshot endpoint. */
  values(request: DeploymentRequest): TwinCnfValues {
    const site = this.site(request.mec, "twin CNF");
    const fromElsewhere = request.sourceMec !== request.mec && this.has(request.sourceMec);
    return {
      ...TWIN_CNF_DEFAULTS,
      ...this.shared,
      ...(site.mqttUrl ? { mqttUrl: site.mqttUrl } : {}),
      stationId: request.twin,
      mecId: request.mec,
      migrationId: request.migrationId,
      hydrateFrom: fromElsewhere
        ? twinHostUrl(this.twinUrl(request.twin, request.sourceMec), TWIN_HOST_PATHS.snapshot(request.twin))
        : "",
    };
  }

  /** Best effort: the source twin shows `migrating` in the API and dashboards meanwhile. */
  async markSourceMigrating(request: DeploymentRequest, signal: AbortSignal): Promise<void> {
    if (request.sourceMec === request.mec || !this.has(request.sourceMec)) return;
    try {
      await this.setStatus(request.twin, request.sourceMec, "migrating", signal);
    } catch (error) {
      log.warn(
        { twin: request.twin, mec: request.sourceMec, err: errorMessage(error) },
        "source twin not marked migrating",
      );
    }
  }

  /**
   * Deletes the twin from its MEC's store and leaves the tombstone that refuses its late events,
   * through the twin CNF (it serves that store), before the twin CNF itself goes: without it the
   * source MEC's twin function and manager keep the twin until it expires. Best effort: a twin CNF
   * that no longer answers (a release retried after its deletion) must not hold the release up.
   */
  async releaseTwin(twin: string, mec: string, signal: AbortSignal): Promise<void> {
    const host = this.host(twin, mec);
    try {
      await bounded(`release twin ${twin} at ${mec}`, this.callTimeoutMs, signal, () => host.release(twin));
    } catch (error) {
      log.warn(
        { twin, mec, err: errorMessage(error) },
        "twin record not released; it stays until it expires",
      );
    }
  }

  /**
   * After the switch: the twin CNF keeps the deployment (the driver's ids; `record` false for one
   * without them), so that another MEC's control plane can release it by them later (best
   * effort), and the twin is stable.
   */
  async activate(deployment: TwinDeployment, signal: AbortSignal, record = true): Promise<void> {
    const host = this.host(deployment.twin, deployment.mec);
    try {
      if (record)
        await bounded(`record the deployment of ${deployment.twin}`, this.callTimeoutMs, signal, () =>
          host.recordDeployment(deployment),
        );
    } catch (error) {
      log.warn(
        { twin: deployment.twin, mec: deployment.mec, err: errorMessage(error) },
        "deployment not recorded at its twin CNF",
      );
    }
    await this.setStatus(deployment.twin, deployment.mec, "stable", signal);
  }

  /**
   * The deployment of a twin living at a MEC as its twin CNF recorded it (with `existing` filling
   * in what a restarted twin CNF no longer knows); undefined when no twin CNF there has it ready.
   */
  async hosted(
    twin: string,
    mec: string,
    existing: TwinDeployment,
    signal: AbortSignal,
  ): Promise<TwinDeployment | undefined> {
    if (!this.has(mec)) return undefined;
    let recorded: Partial<TwinDeployment> | undefined;
    try {
      recorded = await bounded(`deployment of ${twin} at ${mec}`, this.callTimeoutMs, signal, () =>
        this.host(twin, mec).deploymentOf(twin),
      );
    } catch {
      return undefined; // no twin CNF answering there: the twin does not live there
    }
    if (recorded === undefined) return undefined;
    const own = recorded.driver === existing.driver && recorded.twin === twin && recorded.mec === mec;
    return own && recorded.ref ? { ...existing, ref: recorded.ref } : existing;
  }

  async setStatus(
    twin: string,
    mec: string,
    status: "stable" | "migrating",
    signal: AbortSignal,
  ): Promise<void> {
    const host = this.host(twin, mec);
    await bounded(`mark twin ${twin} ${status} at ${mec}`, this.callTimeoutMs, signal, () =>
      host.setStatus(twin, status),
    );
  }

  private host(twin: string, mec: string): RemoteTwinHost {
    return new RemoteTwinHost(mec, { baseUrl: this.twinUrl(twin, mec), timeoutMs: this.callTimeoutMs });
  }
}
