/**
 * The migration engine as a function in a cluster runs it: the topology from VVCU_TOPOLOGY,
 * the kubernetes and OSM drivers for the MECs that use them, the journal in the file
 * VVCU_MIGRATION_JOURNAL, else in Redis (REDIS_URL), else in memory (a restart then forgets
 * what ran), events to K_SINK.
 */
import { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../config.ts";
import { componentLogger } from "../log.ts";
import type { MigrationDriver } from "../model/driver.ts";
import { httpSink } from "../runtime/emit/httpSink.ts";
import type { EventSink } from "../runtime/emit/sink.ts";
import type { HomeRegistry } from "../runtime/homeRegistry.ts";
import type { Topology } from "../topology.ts";
import { KubernetesDriver } from "./drivers/kubernetes.ts";
import type { SharedTwinCnfValues } from "./drivers/kubernetesTwin.ts";
import { OsmDriver } from "./drivers/osm.ts";
import { nbiClientOptionsFromConfig } from "./drivers/osmConfig.ts";
import { NbiClient } from "./drivers/osmNbi.ts";
import { MigrationEngine } from "./engine/engine.ts";
import { FileJournal } from "./journal/fileJournal.ts";
import { MemoryJournal, type MigrationJournal } from "./journal/journal.ts";
import { RedisJournal } from "./journal/redisJournal.ts";
import { driverNames, driverSelector } from "./select.ts";

/** Twin CNFs live here unless the topology names a namespace or POD_NAMESPACE says the function's own. */
export const DEFAULT_TWIN_NAMESPACE = "vvcu-twins";

export interface ClusterDriverOptions {
  /** Default: KUBECONFIG, else ~/.kube/config, else the cluster the process runs in. */
  kubeConfig?: KubeConfig;
  /** Chart values for every twin CNF (e.g. the broker they subscribe to). */
  values?: SharedTwinCnfValues;
}

/** Builds only the cluster drivers the topology uses. */
export function clusterDrivers(
  topology: Topology,
  config: Config,
  options: ClusterDriverOptions = {},
): Partial<Record<string, MigrationDriver>> {
  const used = new Set(driverNames(topology).values());
  const drivers: Partial<Record<string, MigrationDriver>> = {};
  // A twin CNF shares its MEC's twin store and Broker: the ones this function uses, by the same
  // names (short Service names resolve in each cluster's own namespace).
  const values: SharedTwinCnfValues = {
    ...(config.REDIS_URL ? { redisUrl: config.REDIS_URL } : {}),
    ...(config.K_SINK ? { sinkUrl: config.K_SINK } : {}),
    ...options.values,
  };
  const mecsUsing = (name: string) =>
    topology.mecs.filter((mec) => (mec.driver ?? topology.defaults.driver) === name);
  if (used.has("kubernetes")) {
    let kubeConfig = options.kubeConfig;
    if (kubeConfig === undefined) {
      kubeConfig = new KubeConfig();
      kubeConfig.loadFromDefault();
    }
    drivers.kubernetes = new KubernetesDriver({
      kubeConfig,
      values,
      mecs: Object.fromEntries(
        mecsUsing("kubernetes").map((mec) => [
          mec.id,
          {
            context: mec.kubernetes?.context,
            namespace: mec.kubernetes?.namespace ?? config.POD_NAMESPACE ?? DEFAULT_TWIN_NAMESPACE,
            twinUrl: mec.twinUrl,
          },
        ]),
      ),
    });
  }
  if (used.has("osm")) {
    drivers.osm = new OsmDriver({
      nbi: new NbiClient(nbiClientOptionsFromConfig(config)),
      values,
      mecs: Object.fromEntries(
        mecsUsing("osm").map((mec) => [
          mec.id,
          {
            vimAccount: mec.osm?.vimAccount ?? mec.id,
            namespace: mec.kubernetes?.namespace ?? config.POD_NAMESPACE ?? DEFAULT_TWIN_NAMESPACE,
            twinUrl: mec.twinUrl,
          },
        ]),
      ),
    });
  }
  return drivers;
}

export interface EngineFromConfigOptions {
  topology: Topology;
  homes: HomeRegistry;
  drivers: Partial<Record<string, MigrationDriver>>;
  /** Default: K_SINK over HTTP. */
  sink?: EventSink;
  /** Default: VVCU_MIGRATION_JOURNAL, else memory. */
  journal?: MigrationJournal;
}

export function migrationEngineFromConfig(config: Config, options: EngineFromConfigOptions): MigrationEngine {
  const logger = componentLogger("migration");
  const sink =
    options.sink ??
    (config.K_SINK ? httpSink({ url: config.K_SINK, ceOverrides: config.K_CE_OVERRIDES }) : undefined);
  if (sink === undefined)
    throw new Error("K_SINK is not set: the migration function must know where to send events");
  const journal =
    options.journal ??
    (config.VVCU_MIGRATION_JOURNAL
      ? new FileJournal({ file: config.VVCU_MIGRATION_JOURNAL, logger })
      : config.REDIS_URL
        ? new RedisJournal({ url: config.REDIS_URL })
        : undefined);
  if (journal === undefined) {
    logger.warn("neither VVCU_MIGRATION_JOURNAL nor REDIS_URL is set: the journal is in memory only");
  }
  return new MigrationEngine({
    mecs: options.topology.mecs.map((mec) => mec.id),
    driverFor: driverSelector(options.topology, options.drivers),
    homes: options.homes,
    journal: journal ?? new MemoryJournal(),
    sink,
    mec: config.VVCU_MEC_ID ?? "control",
    readyTimeoutMs: config.VVCU_MIGRATION_READY_TIMEOUT_S * 1000,
    logger,
  });
}
