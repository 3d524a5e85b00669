/**
 * Two MECs on one machine, each with its own loopback address (Linux routes 127.0.0.0/8 to lo),
 * sharing one Mosquitto the stations publish to (as charts/vvcu-mec's `mqtt.url` may point at one
 * broker). The topology is the bundled Aveiro one with each MEC's driver settings.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { DEFAULT_TOPOLOGY_PATH } from "../../functions/lib/topology.ts";
import { type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { kubeconfigFor } from "../integration/migration/drivers/fakeKubeApi.ts";
import { type BuiltImage, writeFileIn } from "./image.ts";
import { Mec, TWIN_NAMESPACE } from "./mec.ts";

export const MEC_ADDRESSES = { "mec-a": "127.0.0.2", "mec-b": "127.0.0.3" } as const;
export type MecId = keyof typeof MEC_ADDRESSES;

export interface SystemOptions {
  image: BuiltImage;
  driver: "kubernetes" | "osm";
  /** Extra settings for every function (OSM_*, geofence timings). */
  env?: Record<string, string>;
  /** Per-MEC topology settings beyond the zone (e.g. osm: {vimAccount}). */
  mecSettings?: (mec: Mec) => Record<string, unknown>;
  /** Something beside the clusters (OSM), started once they are up; its settings go to every function. */
  beside?: (dir: string, mecs: Mec[]) => Promise<{ env: Record<string, string>; stop(): Promise<void> }>;
}

export interface TwoMecSystem {
  dir: string;
  mosquitto: RunningServer;
  mecs: Record<MecId, Mec>;
  stop(): Promise<void>;
}

/** The contexts of the migration function's kubeconfig: one per MEC, named as the topology says. */
export const contextOf = (mec: string) => `kind-${mec}`;

export async function startTwoMecs(options: SystemOptions): Promise<TwoMecSystem> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-cluster-"));
  const mosquitto = await startMosquitto();
  const mecs = {} as Record<MecId, Mec>;
  let beside: { env: Record<string, string>; stop(): Promise<void> } | undefined;
  const stopAll = async () => {
    await Promise.allSettled(Object.values(mecs).map((mec) => mec.stop()));
    await beside?.stop();
    await mosquitto.dispose();
  };
  try {
    for (const [id, host] of Object.entries(MEC_ADDRESSES) as [MecId, string][]) {
      mecs[id] = new Mec({ id, host, image: options.image, dir, mqttUrl: mosquitto.url, env: {} });
      await mecs[id].startInfrastructure();
    }
    for (const mec of Object.values(mecs))
      for (const other of Object.values(mecs)) if (other !== mec) mec.resolveAsOwn(other);
    beside = await options.beside?.(dir, Object.values(mecs));
    const clusters = Object.fromEntries(Object.values(mecs).map((mec) => [mec.id, mec.cluster.api.url]));
    const bundled = parse(await readFile(DEFAULT_TOPOLOGY_PATH, "utf8")) as {
      mecs: { id: string; [key: string]: unknown }[];
    };
    const topology = {
      defaults: { driver: options.driver },
      mecs: bundled.mecs.map((entry) => {
        const mec = mecs[entry.id as MecId];
        return {
          ...entry,
          kubernetes: { context: contextOf(entry.id), namespace: TWIN_NAMESPACE },
          // The clusters are separate: twin CNFs are reached through each cluster's ingress.
          twinUrl: `${mec.cluster.ingressUrl}/{namespace}/{name}`,
          ...(options.mecSettings ? options.mecSettings(mec) : {}),
        };
      }),
    };
    const topologyFile = await writeFileIn(dir, "topology.yaml", stringify(topology));
    for (const mec of Object.values(mecs)) {
      // Every context, with this MEC's own as the current one (the bridge watches its own cluster).
      const kubeconfig = { ...JSON.parse(kubeconfigFor(clusters)), "current-context": contextOf(mec.id) };
      const file = await writeFileIn(dir, `kubeconfig-${mec.id}.json`, JSON.stringify(kubeconfig));
      Object.assign(mec.options.env, {
        ...options.env,
        ...beside?.env,
        VVCU_TOPOLOGY: topologyFile,
        KUBECONFIG: file,
      });
    }
    await Promise.all(Object.values(mecs).map((mec) => mec.startFunctions()));
  } catch (error) {
    await stopAll();
    if (!process.env.VVCU_CLUSTER_KEEP_LOGS) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    mosquitto,
    mecs,
    async stop() {
      await stopAll();
      if (process.env.VVCU_CLUSTER_KEEP_LOGS) console.log(`cluster logs kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    },
  };
}
