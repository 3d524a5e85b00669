/**
 * In a cluster the twin CNF objects are the record of which twins live in this MEC: a Deployment
 * per twin (charts/vvcu-twin), labelled app.kubernetes.io/name=vvcu-twin and vvcu.io/twin=<station>.
 * An informer on them keeps a HomeRegistry current, so a twin that OSM or the kubernetes
 * driver places here starts flowing through the bridge without a restart.
 */
import { AppsV1Api, type KubeConfig, makeInformer, type V1Deployment } from "@kubernetes/client-node";
import type { Logger } from "../../functions/lib/log.ts";
import {
  TWIN_CNF_ENV,
  TWIN_CNF_LABELS,
  TWIN_CNF_NAME,
} from "../../functions/lib/migration/drivers/kubernetesObjects.ts";
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";

// The labels are the twin chart's (one definition, shared with the kubernetes driver).
export const TWIN_APP_LABEL = TWIN_CNF_LABELS.name;
export const TWIN_APP_NAME = TWIN_CNF_NAME;
export const TWIN_ID_LABEL = TWIN_CNF_LABELS.twin;
export const TWIN_MEC_LABEL = TWIN_CNF_LABELS.mec;
export const TWIN_SELECTOR = `${TWIN_APP_LABEL}=${TWIN_APP_NAME}`;

/**
 * The station a twin Deployment of MEC `mec` stands for, or undefined for anything else. One
 * namespace may hold the twin CNFs of several MECs (one cluster): another MEC's are not here.
 */
export function twinOfDeployment(deployment: V1Deployment, mec?: string): string | undefined {
  const labels = deployment.metadata?.labels ?? {};
  if (labels[TWIN_APP_LABEL] !== TWIN_APP_NAME) return undefined;
  const ownMec = labels[TWIN_MEC_LABEL];
  if (mec !== undefined && ownMec !== undefined && ownMec !== mec) return undefined;
  const twin = labels[TWIN_ID_LABEL];
  return twin === undefined || twin === "" ? undefined : twin;
}

/**
 * Whether a twin Deployment is a migration's target that has not turned ready yet: its twin CNF
 * hydrates from another MEC (TWIN_CNF_ENV.hydrateFrom) and may not have marked the twin arriving
 * in this MEC's store. Ready means hydrated (the chart's readiness probe is the twin's /ready).
 */
export function isArrivingDeployment(deployment: V1Deployment): boolean {
  if ((deployment.status?.readyReplicas ?? 0) >= 1) return false;
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  return containers.some((container) =>
    (container.env ?? []).some((variable) => variable.name === TWIN_CNF_ENV.hydrateFrom && !!variable.value),
  );
}

export interface HomeInformerOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** The MEC this cluster is: every twin Deployment seen here lives here. */
  mec: string;
  homes: HomeRegistry;
  logger: Logger;
  /** Wait before watching again after an error. */
  restartDelayMs?: number;
}

export interface HomeInformer {
  close(): Promise<void>;
}

export async function startHomeInformer(options: HomeInformerOptions): Promise<HomeInformer> {
  const { kubeConfig, namespace, mec, homes, logger } = options;
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const informer = makeInformer<V1Deployment>(
    kubeConfig,
    `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`,
    () => apps.listNamespacedDeployment({ namespace, labelSelector: TWIN_SELECTOR }),
    TWIN_SELECTOR,
  );
  // Deployment name -> station, so a relabelled or deleted object releases the right twin.
  const twinsByName = new Map<string, string>();
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let failing = false;

  const release = (name: string) => {
    const twin = twinsByName.get(name);
    twinsByName.delete(name);
    if (twin === undefined || [...twinsByName.values()].includes(twin)) return;
    if (homes.homeOf(twin) === mec) homes.remove(twin);
    else if (homes.receiversOf(twin).includes(mec)) homes.removeGuest(twin);
  };
  const upsert = (deployment: V1Deployment) => {
    const name = deployment.metadata?.name ?? "";
    const twin = twinOfDeployment(deployment, mec);
    if (twinsByName.get(name) !== twin) release(name);
    if (twin === undefined) return;
    twinsByName.set(name, twin);
    // A migration's target receives the twin's events as a guest (marked arriving) until ready.
    if (isArrivingDeployment(deployment)) {
      if (homes.homeOf(twin) !== mec && !homes.receiversOf(twin).includes(mec)) homes.addGuest(twin, mec);
    } else if (homes.homeOf(twin) !== mec) homes.setHome(twin, mec);
  };

  informer.on("add", upsert);
  informer.on("update", upsert);
  informer.on("delete", (deployment) => release(deployment.metadata?.name ?? ""));
  informer.on("connect", () => {
    if (failing) logger.info({ namespace }, "watching twin Deployments again");
    failing = false;
  });
  informer.on("error", (error: unknown) => {
    if (stopped) return;
    if (!failing) logger.warn({ err: error, namespace }, "lost the watch on twin Deployments; retrying");
    failing = true;
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      if (!stopped) informer.start().catch(() => {});
    }, options.restartDelayMs ?? 5_000);
  });

  await informer.start();
  logger.info({ namespace, twins: twinsByName.size }, "watching twin Deployments");
  return {
    async close() {
      stopped = true;
      clearTimeout(restartTimer);
      await informer.stop();
    },
  };
}
