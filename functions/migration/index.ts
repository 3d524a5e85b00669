/**
 * The migration function (Knative Service vvcu-migration): migration.requested CloudEvents
 * and the manager's control calls (GET/POST /migrations) -> the engine -> the kubernetes or
 * OSM driver per MEC -> migration.* events to K_SINK. At start it recovers the journal.
 */
import * as functions from "@google-cloud/functions-framework";
import { loadConfig } from "../lib/config.ts";
import { migrationControlHandler } from "../lib/migration/control.ts";
import { clusterDrivers, migrationEngineFromConfig } from "../lib/migration/fromConfig.ts";
import { apiTokenFromConfig } from "../lib/runtime/auth.ts";
import { HomeRegistry } from "../lib/runtime/homeRegistry.ts";
import { lazily } from "../lib/runtime/lazy.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { loadTopology } from "../lib/topology.ts";

const control = lazily(async () => {
  const config = loadConfig();
  const topology = loadTopology(config.VVCU_TOPOLOGY);
  const engine = migrationEngineFromConfig(config, {
    topology,
    // In a cluster the twin CNF objects are the record of homes; requests carry the source.
    homes: new HomeRegistry(),
    drivers: clusterDrivers(topology, config),
  });
  try {
    await engine.recover();
  } catch (error) {
    await engine.close();
    throw error;
  }
  process.once("SIGTERM", () => void engine.close());
  const apiToken = apiTokenFromConfig(config);
  return migrationControlHandler(engine, apiToken === undefined ? {} : { apiToken });
});

serveMetricsFromEnv();

functions.http("migration", async (req, res) => {
  await (await control.get())(req, res);
});
