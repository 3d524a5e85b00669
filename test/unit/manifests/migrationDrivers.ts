/**
 * What the migration function of a set of manifests would build at start: its configuration from
 * the container's environment, its topology from the ConfigMap mounted at VVCU_TOPOLOGY, and the
 * driver of every MEC (functions/lib/migration/fromConfig.ts, as functions/migration runs it).
 */
import path from "node:path";
import { loadConfig } from "../../../functions/lib/config.ts";
import { clusterDrivers } from "../../../functions/lib/migration/fromConfig.ts";
import { driverSelector } from "../../../functions/lib/migration/select.ts";
import type { MigrationDriver } from "../../../functions/lib/model/driver.ts";
import { parseTopology, type Topology } from "../../../functions/lib/topology.ts";
import type { KubeObject } from "./kube.ts";

interface Container {
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export function migrationDriversOf(objects: KubeObject[]): {
  topology: Topology;
  driverFor: (mec: string) => MigrationDriver;
} {
  const service = objects.find(
    (object) => object.kind === "Service" && object.metadata.name === "vvcu-migration",
  );
  if (service === undefined) throw new Error("no Service vvcu-migration");
  const podSpec = service.spec.template.spec;
  const container = podSpec.containers[0] as Container;
  const env = Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value]));
  const file = env.VVCU_TOPOLOGY;
  if (file === undefined) throw new Error("vvcu-migration has no VVCU_TOPOLOGY");
  const mount = (container.volumeMounts ?? []).find((each) => each.mountPath === path.dirname(file));
  const volume = (podSpec.volumes ?? []).find((each: { name: string }) => each.name === mount?.name);
  const configMapName = volume?.configMap?.name;
  const configMap = objects.find(
    (object) => object.kind === "ConfigMap" && object.metadata.name === configMapName,
  );
  const text = configMap?.data?.[path.basename(file)];
  if (typeof text !== "string") throw new Error(`nothing mounted holds ${file}`);
  const topology = parseTopology(text, file);
  const drivers = clusterDrivers(topology, loadConfig(env));
  return { topology, driverFor: driverSelector(topology, drivers) };
}
