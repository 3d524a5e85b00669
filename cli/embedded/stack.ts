/**
 * The embedded stack of `vvcu start`: an MQTT broker (Aedes, unless MQTT_URL names one;
 * mqttSetup.ts), one host per MEC of the topology (bridge, router, twin store, twin function;
 * mecs.ts), the control plane (geofence, migration engine, proxy; controlPlane.ts), the manager
 * API and the simulator. The same function code as in a cluster, wired in process, and stopped
 * in reverse order of start (lifecycle.ts).
 */
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../functions/lib/config.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { directoryOverHosts } from "../../functions/lib/manager/directory.ts";
import { registry } from "../../functions/lib/metrics.ts";
import type { MigrationEngine } from "../../functions/lib/migration/engine/engine.ts";
import { apiTokenFromConfig } from "../../functions/lib/runtime/auth.ts";
import { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import { loadTriggers } from "../../functions/lib/runtime/triggers.ts";
import { type Topology, zoneIndexOf } from "../../functions/lib/topology.ts";
import type { TwinOptions } from "../../functions/lib/twin/state/options.ts";
import { managerFunction } from "../../functions/manager/manager.ts";
import { type RunningSimulator, startSimulator } from "../sim/runner.ts";
import { stackAccess } from "./access.ts";
import { startControlPlane } from "./controlPlane.ts";
import { StationFlow } from "./flow.ts";
import { listenApi, loadTopologyOrExplain, lockJournalOrExplain, ShutdownSteps } from "./lifecycle.ts";
import { connectableHost, describeListen, isLoopback } from "./listen.ts";
import type { MecHost } from "./mecHost.ts";
import { startMecHosts } from "./mecs.ts";
import { type StackMqttOptions, startStackMqtt } from "./mqttSetup.ts";
import { StartupError } from "./startupErrors.ts";
import { summarySource } from "./stats.ts";
import type { SummarySnapshot } from "./summary.ts";

export interface StackOptions {
  config: Config;
  /** Interface the embedded broker and the API listen on. */
  listenHost: string;
  /** Simulated vehicles (0: none) and their CAM rate. */
  simVehicles: number;
  simRateHz: number;
  /** Migration journal; default .vvcu/migrations.jsonl under the working directory. */
  journalFile?: string;
  twinOptions?: Partial<TwinOptions>;
  /** How long to wait for an external MQTT_URL broker. */
  mqttTimeoutMs?: number;
  /** For MECs with the kubernetes driver; default: KUBECONFIG, else ~/.kube/config. */
  kubeConfig?: KubeConfig;
}

export interface RunningStack {
  /** URLs a client on this machine uses. */
  brokerUrl: string;
  apiUrl: string;
  docsUrl: string;
  /** Where the broker and the API listen, as the banner says it. */
  listen: string;
  /** What is less safe than it could be (an open stack on the network, no TLS). */
  warnings: string[];
  consoleUrl: string;
  topology: Topology;
  hosts: MecHost[];
  homes: HomeRegistry;
  engine: MigrationEngine;
  simulator: RunningSimulator | undefined;
  snapshot(): Promise<SummarySnapshot>;
  close(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const { config } = options;
  const logger = componentLogger("stack");
  const startedAtMs = Date.now();
  const topology = loadTopologyOrExplain(config.VVCU_TOPOLOGY);
  const routes = loadTriggers();
  const zones = zoneIndexOf(topology);
  const zoneOfPosition = (lat: number, lon: number) => zones.containing(lat, lon)[0];
  const apiToken = apiTokenFromConfig(config);
  // Refused here, before anything listens: an open stack on the network, a broken certificate.
  const access = stackAccess(config, options.listenHost, apiToken);
  for (const warning of access.warnings) logger.warn(warning);

  const shutdown = new ShutdownSteps();
  // Before anything listens: a second stack on one journal is refused with nothing started.
  const journalFile =
    options.journalFile ?? config.VVCU_MIGRATION_JOURNAL ?? path.join(".vvcu", "migrations.jsonl");
  const lock = await lockJournalOrExplain(journalFile);
  shutdown.add("migration journal lock", () => lock.release());

  const api = await listenApi(config.VVCU_API_PORT, options.listenHost, access.tls).catch(shutdown.fail);
  shutdown.add("manager API", () => new Promise((resolve) => api.server.close(resolve)));
  const closeIdle = () => api.server.closeAllConnections();

  const mqttOptions: StackMqttOptions = {
    config,
    listenHost: options.listenHost,
    access,
    ...(options.mqttTimeoutMs === undefined ? {} : { mqttTimeoutMs: options.mqttTimeoutMs }),
  };
  const mqtt = await startStackMqtt(mqttOptions, shutdown).catch(shutdown.fail);
  const homes = new HomeRegistry();
  const flow = new StationFlow();
  // The proxy is closed after the hosts (their last twin updates reach it), so its step goes here.
  const proxyShutsDownAt = shutdown.mark();
  const hosts = await startMecHosts(
    { config, topology, routes, homes, zoneOfPosition, flow, mqtt, twinOptions: options.twinOptions },
    shutdown,
  ).catch(shutdown.fail);
  const engine = await startControlPlane(
    {
      config,
      topology,
      hosts,
      homes,
      flow,
      mqtt,
      mqttOptions,
      journalFile,
      ...(options.kubeConfig === undefined ? {} : { kubeConfig: options.kubeConfig }),
      proxyShutsDownAt,
    },
    shutdown,
  ).catch(shutdown.fail);

  const manager = managerFunction({
    config,
    topology,
    twins: directoryOverHosts(new Map(hosts.map((host) => [host.mec, host.twins])), homes),
    migrations: engine,
    homes,
    loopbackOnly: isLoopback(options.listenHost),
    metricsRegistry: registry,
    // Every bridge reads every message, so the stack's rejections are the most any bridge counted.
    rejectedMessages: () =>
      Math.max(
        0,
        ...hosts.map((host) =>
          Object.values(host.bridge.stats().rejected).reduce((sum, n) => sum + (n ?? 0), 0),
        ),
      ),
  });
  api.serve(manager);
  shutdown.add("console event streams", async () => manager.close());

  let simulator: RunningSimulator | undefined;
  if (options.simVehicles > 0) {
    try {
      simulator = startSimulator({
        client: mqtt.client,
        vehicles: options.simVehicles,
        rateHz: options.simRateHz,
        zoneOf: (position) => zoneOfPosition(position.lat, position.lon),
      });
    } catch (error) {
      return shutdown.fail(new StartupError(`simulator: ${(error as Error).message}`));
    }
    const running = simulator;
    shutdown.add("simulator", () => running.stop());
  }

  const snapshot = summarySource({ hosts, homes, migrations: engine, startedAtMs });

  let closing: Promise<void> | undefined;
  const apiUrl = `${access.tls ? "https" : "http"}://${connectableHost(options.listenHost)}:${api.port}`;
  return {
    brokerUrl: mqtt.url,
    apiUrl,
    docsUrl: `${apiUrl}/docs`,
    consoleUrl: `${apiUrl}/`,
    listen: describeListen(options.listenHost),
    warnings: access.warnings,
    topology,
    hosts,
    homes,
    engine,
    simulator,
    snapshot,
    close() {
      closing ??= (async () => {
        closeIdle();
        await shutdown.close();
      })();
      return closing;
    },
  };
}
