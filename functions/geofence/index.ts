/**
 * The geofence function (Knative Service vvcu-geofence): twin.created / twin.updated ->
 * which MEC should host the twin -> migration.requested to K_SINK.
 */
import * as functions from "@google-cloud/functions-framework";
import type { CloudEventV1 } from "cloudevents";
import { loadConfig } from "../lib/config.ts";
import { httpSink } from "../lib/runtime/emit/httpSink.ts";
import { lazily } from "../lib/runtime/lazy.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { loadTopology } from "../lib/topology.ts";
import { geofenceFunction } from "./geofence.ts";

const geofence = lazily(() => {
  const config = loadConfig();
  if (!config.K_SINK) throw new Error("K_SINK is not set: the geofence must know where to send requests");
  return geofenceFunction({
    config,
    topology: loadTopology(config.VVCU_TOPOLOGY),
    sink: httpSink({ url: config.K_SINK, ceOverrides: config.K_CE_OVERRIDES }),
  });
});

serveMetricsFromEnv();

functions.cloudEvent("geofence", async (event: CloudEventV1<unknown>) => {
  await (await geofence.get()).handle(event);
});
