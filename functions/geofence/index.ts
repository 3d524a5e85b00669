/**
 * The geofence function (Knative Service vvcu-geofence): twin.created / twin.updated ->
 * which MEC should host the twin -> migration.requested to K_SINK.
 */
import * as functions from "@google-cloud/functions-framework";
import type { CloudEventV1 } from "cloudevents";
import { loadConfig } from "../lib/config.ts";
import { GeofenceService, geofenceOptionsFromConfig } from "../lib/geofence/service.ts";
import { zoneLookup } from "../lib/geofence/zones.ts";
import { httpSink } from "../lib/runtime/emit/httpSink.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { loadTopology } from "../lib/topology.ts";

let geofence: GeofenceService | undefined;

/** Built on the first event, so importing this module never needs the environment. */
function service(): GeofenceService {
  if (geofence !== undefined) return geofence;
  const config = loadConfig();
  if (!config.K_SINK) throw new Error("K_SINK is not set: the geofence must know where to send requests");
  const topology = loadTopology(config.VVCU_TOPOLOGY);
  geofence = new GeofenceService({
    zones: zoneLookup(topology.mecs.map((mec) => ({ id: mec.id, geometry: mec.zone }))),
    sink: httpSink({ url: config.K_SINK, ceOverrides: config.K_CE_OVERRIDES }),
    options: geofenceOptionsFromConfig(config, topology.defaults.driver),
    mec: config.VVCU_MEC_ID,
  });
  return geofence;
}

serveMetricsFromEnv();

functions.cloudEvent("geofence", async (event: CloudEventV1<unknown>) => {
  await service().handle(event);
});
