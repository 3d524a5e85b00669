/**
 * The kubernetes driver: a twin is a twin CNF (Deployment + Service, the objects of
 * charts/vvcu-twin) in the target MEC's cluster, one kubeconfig context per MEC.
 * Place = server-side apply; ready = the Deployment's readyReplicas, then the twin's own
 * /ready; release = foreground delete, waited for until the Deployment is gone.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  Observable,
  PatchStrategy,
} from "@kubernetes/client-node";
import type { DeploymentRequest, MigrationDriver, TwinDeployment } from "../../model/driver.ts";
import { bounded, errorMessage, pollUntil, timedOrchestratorCall } from "../../runtime/timing.ts";
import { isTwinCnfReady } from "../../twin/remote/client.ts";
import { type TwinCnfValues, twinCnfName, twinCnfObjects } from "./kubernetesObjects.ts";
import { type SharedTwinCnfValues, type TwinCnfSite, TwinCnfSites } from "./kubernetesTwin.ts";

const DRIVER = "kubernetes";

/** A MEC's cluster, as the topology's `kubernetes: {context, namespace}` gives it. */
export interface KubernetesMecTarget extends TwinCnfSite {
  /** Kubeconfig context; undefined: the kubeconfig's current one (in a pod: its own cluster). */
  context?: string;
}

export interface KubernetesDriverOptions {
  kubeConfig: KubeConfig;
  mecs: Record<string, KubernetesMecTarget>;
  /** Chart values for every twin (image, topics, resources, mqttUrl). */
  values?: SharedTwinCnfValues;
  callTimeoutMs?: number;
  readyTimeoutMs?: number;
  releaseTimeoutMs?: number;
  pollIntervalMs?: number;
  fieldManager?: string;
}

interface Clients {
  apps: AppsV1Api;
  core: CoreV1Api;
}

type CallOptions = Parameters<AppsV1Api["readNamespacedDeployment"]>[1];

/** Per-call middleware: the deadline's signal, and the apply content type for server-side apply. */
function callOptions(signal: AbortSignal, contentType?: string): CallOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal);
          if (contentType) context.setHeaderParam("Content-Type", contentType);
          return new Observable(Promise.resolve(context));
        },
        post: (response) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: "append",
  };
}

/** The API server's own message (a Status object) when there is one. */
function describeApiError(error: unknown): string {
  if (!(error instanceof ApiException)) return errorMessage(error);
  const body: unknown = typeof error.body === "string" ? safeJson(error.body) : error.body;
  const message = (body as { message?: unknown } | undefined)?.message;
  return `${error.code}${typeof message === "string" ? ` ${message}` : ""}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

const isNotFound = (error: unknown) => error instanceof KubernetesApiError && error.code === 404;
/** Worth asking again: the server was busy or unreachable, not a refusal. */
const isTransient = (error: unknown) =>
  !(error instanceof KubernetesApiError) || error.code >= 500 || error.code === 429;

export class KubernetesDriver implements MigrationDriver {
  readonly name = DRIVER;
  private readonly clients = new Map<string, Clients>();
  private readonly callTimeoutMs: number;
  private readonly readyTimeoutMs: number;
  private readonly releaseTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly fieldManager: string;
  private readonly sites: TwinCnfSites;

  constructor(private readonly options: KubernetesDriverOptions) {
    this.sites = new TwinCnfSites(options.mecs, options.values, options.callTimeoutMs);
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
    this.releaseTimeoutMs = options.releaseTimeoutMs ?? 60_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.fieldManager = options.fieldManager ?? "vvcu-migration";
  }

  existing(twin: string, mec: string): TwinDeployment {
    return { driver: DRIVER, twin, mec, ref: `${this.target(mec).namespace}/${twinCnfName(twin, mec)}` };
  }

  /** The chart values of a twin deployment (the same the OSM driver passes to the chart). */
  values(request: DeploymentRequest): TwinCnfValues {
    return this.sites.values(request);
  }

  async place(request: DeploymentRequest, signal: AbortSignal): Promise<TwinDeployment> {
    const twinDeployment = this.existing(request.twin, request.mec);
    const { namespace } = this.target(request.mec);
    const { deployment, service } = twinCnfObjects(this.values(request));
    const { apps, core } = this.client(request.mec);
    const apply = PatchStrategy.ServerSideApply;
    // A first home's deployment finds the twin CNF a migration is already bringing here (the twin function
    // created the twin from the first events the bridge forwarded): re-applying it without the
    // source to hydrate from would restart it empty.
    if (
      request.sourceMec === request.mec &&
      (await this.deploymentExists(request.mec, deployment.metadata.name, signal))
    ) {
      return twinDeployment;
    }
    await this.sites.markSourceMigrating(request, signal);
    // The Service first, so the twin is reachable as soon as its Deployment turns ready.
    await this.call(request.mec, "apply-service", signal, (s) =>
      core.patchNamespacedService(
        {
          ...this.applyParams(service.metadata.name, namespace),
          body: { ...service, metadata: { ...service.metadata, namespace } },
        },
        callOptions(s, apply),
      ),
    );
    await this.call(request.mec, "apply-deployment", signal, (s) =>
      apps.patchNamespacedDeployment(
        {
          ...this.applyParams(deployment.metadata.name, namespace),
          body: { ...deployment, metadata: { ...deployment.metadata, namespace } },
        },
        callOptions(s, apply),
      ),
    );
    return twinDeployment;
  }

  async waitUntilReady(twinDeployment: TwinDeployment, signal: AbortSignal): Promise<void> {
    const { namespace, name } = this.parseRef(twinDeployment);
    const { apps } = this.client(twinDeployment.mec);
    const deadline = Date.now() + this.readyTimeoutMs;
    const wait = { intervalMs: this.pollIntervalMs, signal };
    await pollUntil(
      `deployment ${namespace}/${name} at ${twinDeployment.mec}`,
      { ...wait, timeoutMs: this.readyTimeoutMs },
      async (s) => {
        let deployment: Awaited<ReturnType<AppsV1Api["readNamespacedDeployment"]>>;
        try {
          deployment = await this.call(twinDeployment.mec, "read-deployment", s, (c) =>
            apps.readNamespacedDeployment({ name, namespace }, callOptions(c)),
          );
        } catch (error) {
          if (isTransient(error)) return { waiting: errorMessage(error) };
          throw error;
        }
        const stalled = deployment.status?.conditions?.find(
          (condition) => condition.type === "Progressing" && condition.status === "False",
        );
        if (stalled)
          throw new Error(
            `deployment ${namespace}/${name} at ${twinDeployment.mec}: ${stalled.reason}: ${stalled.message}`,
          );
        const ready = deployment.status?.readyReplicas ?? 0;
        const current =
          (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
        return ready >= 1 && current ? { done: true } : { waiting: `readyReplicas ${ready}` };
      },
    );
    const url = this.sites.twinUrl(twinDeployment.twin, twinDeployment.mec);
    await pollUntil(
      `twin ${twinDeployment.twin} /ready at ${url}`,
      { ...wait, timeoutMs: Math.max(0, deadline - Date.now()) },
      async (s) =>
        (await isTwinCnfReady(url, s, this.callTimeoutMs)) ? { done: true } : { waiting: "not ready" },
    );
  }

  /** Deletes the twin CNF; its ref (`namespace/name`) is what the record shows. */
  async release(twinDeployment: TwinDeployment, signal: AbortSignal): Promise<undefined> {
    const { namespace, name } = this.parseRef(twinDeployment);
    const { apps, core } = this.client(twinDeployment.mec);
    const options = { name, namespace, propagationPolicy: "Foreground" };
    await this.sites.releaseTwin(twinDeployment.twin, twinDeployment.mec, signal);
    await this.ignoreNotFound(
      this.call(twinDeployment.mec, "delete-deployment", signal, (s) =>
        apps.deleteNamespacedDeployment(options, callOptions(s)),
      ),
    );
    await this.ignoreNotFound(
      this.call(twinDeployment.mec, "delete-service", signal, (s) =>
        core.deleteNamespacedService(options, callOptions(s)),
      ),
    );
    await pollUntil(
      `deletion of deployment ${namespace}/${name} at ${twinDeployment.mec}`,
      { timeoutMs: this.releaseTimeoutMs, intervalMs: this.pollIntervalMs, signal },
      async (s) => {
        try {
          await this.call(twinDeployment.mec, "read-deployment", s, (c) =>
            apps.readNamespacedDeployment({ name, namespace }, callOptions(c)),
          );
          return { waiting: "still terminating" };
        } catch (error) {
          if (isNotFound(error)) return { done: true };
          if (isTransient(error)) return { waiting: errorMessage(error) };
          throw error;
        }
      },
    );
  }

  async activate(twinDeployment: TwinDeployment, signal: AbortSignal): Promise<void> {
    await this.sites.activate(twinDeployment, signal);
  }

  hosted(twin: string, mec: string, signal: AbortSignal): Promise<TwinDeployment | undefined> {
    return this.sites.hosted(twin, mec, this.existing(twin, mec), signal);
  }

  private async deploymentExists(mec: string, name: string, signal: AbortSignal): Promise<boolean> {
    const { namespace } = this.target(mec);
    const { apps } = this.client(mec);
    try {
      await this.call(mec, "read-deployment", signal, (s) =>
        apps.readNamespacedDeployment({ name, namespace }, callOptions(s)),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private applyParams(name: string, namespace: string) {
    return { name, namespace, fieldManager: this.fieldManager, force: true };
  }

  private async ignoreNotFound(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** One API call: bounded by the call timeout, timed, and failing with the API's message. */
  private async call<T>(
    mec: string,
    operation: string,
    signal: AbortSignal,
    work: (signal: AbortSignal) => Promise<T>,
  ) {
    try {
      return await timedOrchestratorCall(DRIVER, operation, () =>
        bounded(operation, this.callTimeoutMs, signal, work),
      );
    } catch (error) {
      if (error instanceof ApiException) {
        throw new KubernetesApiError(
          `kubernetes ${operation} at ${mec}: ${describeApiError(error)}`,
          error.code,
        );
      }
      throw new Error(`kubernetes ${operation} at ${mec}: ${errorMessage(error)}`);
    }
  }

  private parseRef(twinDeployment: TwinDeployment): { namespace: string; name: string } {
    const [namespace, name] = twinDeployment.ref.split("/");
    if (!namespace || !name) throw new Error(`not a kubernetes twin deployment ref: "${twinDeployment.ref}"`);
    return { namespace, name };
  }

  private target(mec: string): KubernetesMecTarget {
    return this.sites.site(mec, "kubernetes") as KubernetesMecTarget;
  }

  private client(mec: string): Clients {
    const cached = this.clients.get(mec);
    if (cached) return cached;
    const { kubeConfig } = this.options;
    const context = this.target(mec).context ?? kubeConfig.getCurrentContext();
    if (!kubeConfig.getContextObject(context))
      throw new Error(`kubeconfig has no context "${context}" (MEC ${mec})`);
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: kubeConfig.clusters,
      users: kubeConfig.users,
      contexts: kubeConfig.contexts,
      currentContext: context,
    });
    const clients = { apps: config.makeApiClient(AppsV1Api), core: config.makeApiClient(CoreV1Api) };
    this.clients.set(mec, clients);
    return clients;
  }
}

/** A Kubernetes API answer other than success, with its status code. */
export class KubernetesApiError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
    this.name = "KubernetesApiError";
  }
}
