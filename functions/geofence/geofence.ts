/**
 * The geofence function from its dependencies: the one wiring that the functions-framework entry
 * point (index.ts) and the embedded stack share.
 */
import type { Config } from "../lib/config.ts";
import { GeofenceService, geofenceOptionsFromConfig } from "../lib/geofence/service.ts";
import { zoneLookup } from "../lib/geofence/zones.ts";
import type { EventSink } from "../lib/runtime/emit/sink.ts";
import type { HomeRegistry } from "../lib/runtime/homeRegistry.ts";
import type { Topology } from "../lib/topology.ts";

export interface GeofenceDependencies {
  config: Config;
  topology: Topology;
  /** Where migration.requested goes. */
  sink: EventSink;
  /**
   * The record of where twins live, when the caller keeps one (the embedded stack). In a cluster
   * the events carry the home MEC instead.
   */
  homes?: Pick<HomeRegistry, "homeOf" | "setHome">;
  /** The driver named in requests; default: the topology's. */
  driverName?: string;
}

export function geofenceFunction(dependencies: GeofenceDependencies): GeofenceService {
  const { config, topology, sink, homes } = dependencies;
  return new GeofenceService({
    zones: zoneLookup(topology.mecs.map((mec) => ({ id: mec.id, geometry: mec.zone }))),
    sink,
    options: geofenceOptionsFromConfig(config, dependencies.driverName ?? topology.defaults.driver),
    ...(config.VVCU_MEC_ID === undefined ? {} : { mec: config.VVCU_MEC_ID }),
    ...(homes === undefined
      ? {}
      : {
          homeOf: (twin: string) => homes.homeOf(twin),
          onFirstHome: (twin: string, mec: string) => homes.setHome(twin, mec),
        }),
  });
}
