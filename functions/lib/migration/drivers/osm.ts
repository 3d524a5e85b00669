/**
 * The OSM driver: a twin is an NS instance of the vvcu_twin NS (one KNF whose KDU is the
 * vvcu-twin chart) at the target MEC's VIM account. Place = create and instantiate in one
 * call; ready = the operation COMPLETED, the NS READY, then the twin's own /ready (never by
 * reaching into the cluster); release = terminate, follow that operation, delete.
 */
import type { DeploymentRequest, MigrationDriver, TwinDeployment } from "../../model/driver.ts";
import { errorMessage, pollUntil } from "../../runtime/timing.ts";
import { isTwinCnfReady } from "../../twin/remote/client.ts";
import { type TwinCnfValues, twinCnfName } from "./kubernetesObjects.ts";
import { type SharedTwinCnfValues, type TwinCnfSite, TwinCnfSites } from "./kubernetesTwin.ts";
import { OsmCatalog } from "./osmCatalog.ts";
import { type NbiClient, OsmNbiError } from "./osmNbi.ts";

const DRIVER = "osm";

/** A MEC as OSM knows it: the VIM account its Kubernetes cluster is attached to. */
export interface OsmMecTarget extends TwinCnfSite {
  /** VIM account name (or id). */
  vimAccount: string;
}

export interface OsmDriverOptions {
  nbi: NbiClient;
  mecs: Record<string, OsmMecTarget>;
  /** NS descriptor id of osm/vvcu_twin_ns (default vvcu_twin_ns). */
  nsd?: string;
  /** The KNF's member-vnf-index and KDU name in the NS and KNF descriptors. */
  memberVnfIndex?: string;
  kduName?: string;
  values?: SharedTwinCnfValues;
  readyTimeoutMs?: number;
  releaseTimeoutMs?: number;
  pollIntervalMs?: number;
  /** Timeout of the twin's /ready check. */
  callTimeoutMs?: number;
}

/** The ids of osm/: descriptors and names the packages define. */
export const OSM_IDS = {
  nsd: "vvcu_twin_ns",
  vnfd: "vvcu_twin_knf",
  memberVnfIndex: "vvcu_twin",
  kdu: "vvcu-twin",
} as const;

const OP_FAILED = new Set(["FAILED", "FAILED_TEMP", "PARTIALLY_COMPLETED", "ROLLED_BACK", "ROLLING_BACK"]);

interface NsRef {
  /** NS instance id, when known. */
  nsId?: string;
  /** The instantiate operation to follow. */
  opId?: string;
  /**
   * NS name, for a twin at a MEC without a recorded NS instance (existing()): shown, never
   * acted on.
   */
  nsName?: string;
}

function formatRef(ref: NsRef): string {
  if (ref.nsId) return ref.opId ? `ns:${ref.nsId}/op:${ref.opId}` : `ns:${ref.nsId}`;
  return `name:${ref.nsName}`;
}

function parseRef(text: string): NsRef {
  const byId = /^ns:([^/]+)(?:\/op:(.+))?$/.exec(text);
  if (byId?.[1]) return { nsId: byId[1], opId: byId[2] };
  if (text.startsWith("name:") && text.length > 5) return { nsName: text.slice(5) };
  throw new Error(`not an OSM deployment ref: "${text}"`);
}

/** Worth asking again: no answer, or the NBI was busy. Anything else is a refusal. */
const isTransient = (error: unknown) =>
  error instanceof OsmNbiError && (error.status === undefined || error.status >= 500 || error.status === 429);

/** Name of a twin's NS instance at a MEC: its twin CNF's name. A label only; OSM allows duplicates. */
export const nsNameOf = twinCnfName;

export class OsmDriver implements MigrationDriver {
  readonly name = DRIVER;
  private readonly sites: TwinCnfSites;
  private readonly ids: { nsd: string; memberVnfIndex: string; kdu: string };
  private readonly catalog: OsmCatalog;

  constructor(private readonly options: OsmDriverOptions) {
    this.sites = new TwinCnfSites(options.mecs, options.values, options.callTimeoutMs);
    this.catalog = new OsmCatalog(options.nbi);
    this.ids = {
      nsd: options.nsd ?? OSM_IDS.nsd,
      memberVnfIndex: options.memberVnfIndex ?? OSM_IDS.memberVnfIndex,
      kdu: options.kduName ?? OSM_IDS.kdu,
    };
  }

  existing(twin: string, mec: string): TwinDeployment {
    return { driver: DRIVER, twin, mec, ref: formatRef({ nsName: nsNameOf(twin, mec) }) };
  }

  /** The body of `POST /osm/nslcm/v1/ns_instances_content` for a deployment. */
  instantiation(request: DeploymentRequest, nsdId: string, vimAccountId: string) {
    const site = this.target(request.mec);
    const values: TwinCnfValues = this.sites.values(request);
    return {
      nsdId,
      nsName: nsNameOf(request.twin, request.mec),
      nsDescription: `vvcu twin of station ${request.twin} at ${request.mec} (migration ${request.migrationId})`,
      vimAccountId,
      additionalParamsForVnf: [
        {
          "member-vnf-index": this.ids.memberVnfIndex,
          additionalParamsForKdu: [
            { kdu_name: this.ids.kdu, "k8s-namespace": site.namespace, additionalParams: values },
          ],
        },
      ],
    };
  }

  async place(request: DeploymentRequest, signal: AbortSignal): Promise<TwinDeployment> {
    const site = this.target(request.mec);
    const nsdId = await this.catalog.nsdId(this.ids.nsd, signal);
    const vimAccountId = await this.catalog.vimAccountId(site.vimAccount, signal);
    await this.sites.markSourceMigrating(request, signal);
    // Placed again: the instance the journal recorded is reused while OSM still has it. Nothing
    // is adopted by name, which OSM does not keep unique.
    const recorded = await this.recordedInstance(request, signal);
    if (recorded !== undefined) {
      return { driver: DRIVER, twin: request.twin, mec: request.mec, ref: formatRef({ nsId: recorded }) };
    }
    const { data } = await this.options.nbi.request<{ id?: string; nslcmop_id?: string }>({
      operation: "ns-create-instantiate",
      method: "POST",
      path: "/osm/nslcm/v1/ns_instances_content",
      data: this.instantiation(request, nsdId, vimAccountId),
      expect: [201, 202],
      signal,
    });
    if (!data?.id)
      throw new Error(`OSM ns-create-instantiate for twin ${request.twin}: the answer has no NS id`);
    return {
      driver: DRIVER,
      twin: request.twin,
      mec: request.mec,
      ref: formatRef({ nsId: data.id, opId: data.nslcmop_id }),
    };
  }

  async waitUntilReady(deployment: TwinDeployment, signal: AbortSignal): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 600_000;
    const deadline = Date.now() + timeoutMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    const ref = parseRef(deployment.ref);
    const nsId = ref.nsId;
    if (nsId === undefined)
      throw new Error(`no NS instance id recorded for twin ${deployment.twin} at ${deployment.mec}`);
    const nsName = nsNameOf(deployment.twin, deployment.mec);
    if (ref.opId) await this.followOperation(ref.opId, `instantiation of NS ${nsName}`, remaining(), signal);
    await pollUntil(`NS ${nsName} (${nsId}) READY`, this.wait(remaining(), signal), async (s) => {
      const ns = await this.tolerant(() =>
        this.options.nbi.request<{ nsState?: string; "detailed-status"?: string }>({
          operation: "ns-show",
          method: "GET",
          path: `/osm/nslcm/v1/ns_instances/${encodeURIComponent(nsId)}`,
          expect: [200],
          signal: s,
        }),
      );
      if ("waiting" in ns) return ns;
      const { nsState, "detailed-status": detail } = ns.data ?? {};
      if (nsState === "READY") return { done: true };
      if (nsState === "BROKEN") throw new Error(`OSM NS ${nsName} is BROKEN: ${detail ?? "no detail"}`);
      return { waiting: `nsState ${nsState ?? "unknown"}` };
    });
    const url = this.sites.twinUrl(deployment.twin, deployment.mec);
    const callTimeoutMs = this.options.callTimeoutMs ?? 5_000;
    await pollUntil(`twin ${deployment.twin} /ready at ${url}`, this.wait(remaining(), signal), async (s) =>
      (await isTwinCnfReady(url, s, callTimeoutMs)) ? { done: true } : { waiting: "not ready" },
    );
  }

  /**
   * Terminates and deletes the NS instance whose id the journal recorded, and gives back the
   * termination's ref. A deployment without one (a twin no migration placed there, e.g. still in
   * its MEC's twin function) has no NS instance of vvcu's to release: nothing is done by name.
   */
  async release(deployment: TwinDeployment, signal: AbortSignal): Promise<string> {
    const timeoutMs = this.options.releaseTimeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    await this.sites.releaseTwin(deployment.twin, deployment.mec, signal);
    const { nsId } = parseRef(deployment.ref);
    if (nsId === undefined) return `${deployment.ref} (no NS instance recorded: none terminated)`;
    const path = `/osm/nslcm/v1/ns_instances/${encodeURIComponent(nsId)}`;
    const terminate = await this.options.nbi.request<{ id?: string }>({
      operation: "ns-terminate",
      method: "POST",
      path: `${path}/terminate`,
      data: {},
      expect: [200, 201, 202, 404],
      signal,
    });
    if (terminate.status === 404) return formatRef({ nsId }); // already gone: release is idempotent
    const opId = terminate.data?.id;
    if (opId) {
      const what = `termination of NS ${nsNameOf(deployment.twin, deployment.mec)} (${nsId})`;
      await this.followOperation(opId, what, Math.max(0, deadline - Date.now()), signal);
    }
    await this.options.nbi.request({
      operation: "ns-delete",
      method: "DELETE",
      path,
      expect: [200, 202, 204, 404],
      signal,
    });
    return formatRef({ nsId, opId });
  }

  /** The NS instance id of `request.recorded`, if OSM still has that instance. */
  private async recordedInstance(
    request: DeploymentRequest,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const { recorded } = request;
    if (recorded?.driver !== DRIVER || recorded.mec !== request.mec || recorded.twin !== request.twin) {
      return undefined;
    }
    const { nsId } = parseRef(recorded.ref);
    if (nsId === undefined) return undefined;
    const answer = await this.options.nbi.request({
      operation: "ns-show",
      method: "GET",
      path: `/osm/nslcm/v1/ns_instances/${encodeURIComponent(nsId)}`,
      expect: [200, 404],
      signal,
    });
    return answer.status === 200 ? nsId : undefined;
  }

  hosted(twin: string, mec: string, signal: AbortSignal): Promise<TwinDeployment | undefined> {
    return this.sites.hosted(twin, mec, this.existing(twin, mec), signal);
  }

  async activate(deployment: TwinDeployment, signal: AbortSignal): Promise<void> {
    // A deployment known by name only must not replace the ids the twin CNF may hold.
    await this.sites.activate(deployment, signal, parseRef(deployment.ref).nsId !== undefined);
  }

  private async followOperation(
    opId: string,
    what: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    await pollUntil(`${what} (operation ${opId})`, this.wait(timeoutMs, signal), async (s) => {
      const op = await this.tolerant(() =>
        this.options.nbi.request<{
          operationState?: string;
          "detailed-status"?: string;
          errorMessage?: string;
        }>({
          operation: "ns-op-show",
          method: "GET",
          path: `/osm/nslcm/v1/ns_lcm_op_occs/${encodeURIComponent(opId)}`,
          expect: [200],
          signal: s,
        }),
      );
      if ("waiting" in op) return op;
      const state = op.data?.operationState;
      if (state === "COMPLETED") return { done: true };
      if (state !== undefined && OP_FAILED.has(state)) {
        const detail = op.data?.["detailed-status"] ?? op.data?.errorMessage ?? "no detail";
        throw new Error(`OSM ${what} ${state}: ${detail}`);
      }
      return { waiting: `operationState ${state ?? "unknown"}` };
    });
  }

  /** Turns a transient NBI failure into one more round of waiting. */
  private async tolerant<T>(call: () => Promise<T>): Promise<T | { waiting: string }> {
    try {
      return await call();
    } catch (error) {
      if (isTransient(error)) return { waiting: errorMessage(error) };
      throw error;
    }
  }

  private wait(timeoutMs: number, signal: AbortSignal) {
    return { timeoutMs, intervalMs: this.options.pollIntervalMs ?? 2_000, signal };
  }

  private target(mec: string): OsmMecTarget {
    return this.sites.site(mec, "OSM") as OsmMecTarget;
  }
}
