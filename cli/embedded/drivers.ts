/**
 * The migration drivers of `vvcu start`, each MEC's from the topology: local keeps twins in this
 * process; kubernetes (the kubeconfig's contexts) and osm (the OSM_* settings) place twin CNFs in
 * the MECs' clusters, which subscribe to this stack's broker. Whatever cannot be built stops the
 * start with one sentence; nothing falls back to local.
 */
import { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../functions/lib/config.ts";
import { nbiClientOptionsFromConfig } from "../../functions/lib/migration/drivers/osmConfig.ts";
import { clusterDrivers } from "../../functions/lib/migration/fromConfig.ts";
import { driverSelector } from "../../functions/lib/migration/select.ts";
import type { MigrationDriver } from "../../functions/lib/model/driver.ts";
import { driverOf, type Topology } from "../../functions/lib/topology.ts";
import { StartupError } from "./startupErrors.ts";

export interface EmbeddedDriverOptions {
  topology: Topology;
  config: Config;
  local: MigrationDriver;
  /** The broker twin CNFs subscribe to: this stack's, as the clusters reach it. */
  mqttUrl: string;
  /** Default: KUBECONFIG, else ~/.kube/config. */
  kubeConfig?: KubeConfig;
}

/** `driverFor(mec)` for the engine; throws a StartupError naming the MEC and what is missing. */
export function embeddedDriverFor(options: EmbeddedDriverOptions): (mec: string) => MigrationDriver {
  const { topology, config } = options;
  const uses = (name: string) => topology.mecs.filter((mec) => driverOf(topology, mec) === name);
  const osmMecs = uses("osm");
  if (osmMecs.length > 0) {
    try {
      nbiClientOptionsFromConfig(config);
    } catch (error) {
      const ids = osmMecs.map((mec) => mec.id);
      const who = ids.length === 1 ? `MEC ${ids[0]} uses` : `MECs ${ids.join(", ")} use`;
      const needs = (error as Error).message.replace(/^the osm driver needs /, "");
      throw new StartupError(`${who} the osm driver, which needs ${needs}`);
    }
  }
  const kubernetesMecs = uses("kubernetes");
  let kubeConfig = options.kubeConfig;
  if (kubernetesMecs.length > 0 && kubeConfig === undefined) {
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromDefault();
  }
  for (const mec of kubernetesMecs) {
    const context = mec.kubernetes?.context ?? kubeConfig?.getCurrentContext();
    if (!context || !kubeConfig?.getContextObject(context)) {
      const where = "KUBECONFIG, else ~/.kube/config";
      throw new StartupError(
        context
          ? `MEC ${mec.id} uses the kubernetes driver with context "${context}", which the kubeconfig (${where}) does not have`
          : `MEC ${mec.id} uses the kubernetes driver without a context, and the kubeconfig (${where}) has no current one`,
      );
    }
  }
  const cluster =
    osmMecs.length + kubernetesMecs.length > 0
      ? clusterDrivers(topology, config, { kubeConfig, values: { mqttUrl: options.mqttUrl } })
      : {};
  return driverSelector(topology, { ...cluster, local: options.local });
}
