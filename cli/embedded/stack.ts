/**
 * The embedded stack of `vvcu start`: an MQTT broker (Aedes, unless MQTT_URL names one), one host
 * per MEC of the topology (bridge, router, twin store, twin function), the control plane
 * (geofence, migration engine with each MEC's driver (drivers.ts) and a file journal, proxy, manager API) and
 * the simulator. The same function code as in a cluster, wired in process.
 *
 * Events cross MECs the way they would between clusters: each MEC has its own router (Broker);
 * the control plane is one set of functions subscribed to every router, and what it emits goes
 * into the router of the MEC it concerns (MecRoutingSink).
 */
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { MqttClient } from "mqtt";
import { geofenceFunction } from "../../functions/geofence/geofence.ts";
import type { Config } from "../../functions/lib/config.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { directoryOverHosts } from "../../functions/lib/manager/directory.ts";
import { registry } from "../../functions/lib/metrics.ts";
import { LocalDriver } from "../../functions/lib/migration/drivers/local.ts";
import { MigrationEngine } from "../../functions/lib/migration/engine/engine.ts";
import { FileJournal } from "../../functions/lib/migration/journal/fileJournal.ts";
import { MqttDashboardPublisher } from "../../functions/lib/proxy/mqttPublisher.ts";
import type { DashboardPublisher } from "../../functions/lib/proxy/publisher.ts";
import { apiTokenFromConfig } from "../../functions/lib/runtime/auth.ts";
import type { EventSink } from "../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import { MecRoutingSink } from "../../functions/lib/runtime/mecSink.ts";
import { connectMqtt, type MqttConnection, mqttConnection } from "../../functions/lib/runtime/mqttConnect.ts";
import { loadTriggers } from "../../functions/lib/runtime/triggers.ts";
import { type Topology, zoneIndexOf } from "../../functions/lib/topology.ts";
import type { TwinHostApi } from "../../functions/lib/twin/remote/host.ts";
import { type TwinOptions, twinOverridesFromConfig } from "../../functions/lib/twin/state/options.ts";
import { managerFunction } from "../../functions/manager/manager.ts";
import { proxyFunction } from "../../functions/proxy/proxy.ts";
import { type RunningSimulator, startSimulator } from "../sim/runner.ts";
import { stackAccess } from "./access.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "./broker/brokerThread.ts";
import { DecoderThread } from "./decoder/decoderThread.ts";
import { embeddedDriverFor } from "./drivers.ts";
import { StationFlow } from "./flow.ts";
import { closeAll, listenApi, loadTopologyOrExplain, lockJournalOrExplain } from "./lifecycle.ts";
import { connectableHost, describeListen, isLoopback } from "./listen.ts";
import { homeKeptTwins, type MecHost, startMecHost } from "./mecHost.ts";
import { EMBEDDED_TWIN_OPTIONS, forgetExpired, settleBeforeCut } from "./policy.ts";
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

  const cleanup: [string, () => Promise<unknown>][] = [];
  const fail = async (error: unknown): Promise<never> => {
    await closeAll(cleanup.reverse(), 2_000);
    throw error;
  };

  // Before anything listens: a second stack on one journal is refused with nothing started.
  const journalFile =
    options.journalFile ?? config.VVCU_MIGRATION_JOURNAL ?? path.join(".vvcu", "migrations.jsonl");
  const lock = await lockJournalOrExplain(journalFile);
  cleanup.push(["migration journal lock", () => lock.release()]);

  const api = await listenApi(config.VVCU_API_PORT, options.listenHost, access.tls).catch(fail);
  cleanup.push(["manager API", () => new Promise((resolve) => api.server.close(resolve))]);
  const closeIdle = () => api.server.closeAllConnections();

  let broker: EmbeddedBroker | undefined;
  let connection: MqttConnection & { protocolVersion?: 4 | 5 };
  let client: MqttClient;
  try {
    if (config.MQTT_URL === undefined) {
      broker = await startEmbeddedBroker(
        config.MQTT_PORT,
        options.listenHost,
        componentLogger("broker"),
        access.broker,
      );
      const started = broker;
      cleanup.push(["MQTT broker", () => started.close()]);
      connection = {
        url: broker.url,
        ...access.broker.credentials,
        ...(access.tls === undefined
          ? {}
          : { ca: Buffer.from(access.tls.cert), pinnedFingerprint256: access.tls.fingerprint256 }),
      };
    } else {
      // The bridges' sessions speak MQTT_PROTOCOL_VERSION; the stack's own client checks first
      // that the broker does, or a broker without MQTT 5 would look up and process nothing.
      connection = {
        ...mqttConnection(config.MQTT_URL, config),
        protocolVersion: config.MQTT_PROTOCOL_VERSION,
      };
    }
    client = await connectMqtt(connection, {
      clientId: `vvcu-stack-${process.pid}`,
      timeoutMs: options.mqttTimeoutMs ?? 5_000,
      variable: broker ? "MQTT_PORT" : "MQTT_URL",
      ...(connection.protocolVersion === undefined ? {} : { protocolVersion: connection.protocolVersion }),
    });
  } catch (error) {
    return fail(error instanceof StartupError ? error : new StartupError((error as Error).message));
  }
  const connected = client;
  cleanup.push(["MQTT client", () => connected.endAsync()]);

  const homes = new HomeRegistry();
  const flow = new StationFlow();
  const hosts: MecHost[] = [];
  // The embedded broker's thread decodes the messages ahead of the bridges, which subscribe inside
  // it and share each message. With MQTT_URL each bridge has its own session, and a thread of
  // its own decodes ahead of them.
  let decoder: DecoderThread | undefined;
  if (!broker) {
    try {
      decoder = await DecoderThread.start(componentLogger("decoder"));
    } catch (error) {
      return fail(new StartupError(`cannot start the decoder thread: ${(error as Error).message}`));
    }
    const started = decoder;
    cleanup.push(["decoder thread", () => started.close()]);
  }
  // The proxy is closed after the hosts (their last twin updates reach it), so its entry goes here.
  const beforeHosts = cleanup.length;
  try {
    for (const mec of topology.mecs) {
      const host = await startMecHost({
        mec: mec.id,
        routes,
        homes,
        zoneOfPosition,
        flow,
        // Inside the embedded broker, the bridges subscribe in process; an external broker gets
        // an MQTT 5 session per bridge, as in a cluster.
        mqtt: connection,
        ...(broker ? { source: broker.source } : { decoder }),
        deadLetterTopic: config.VVCU_DEADLETTER_TOPIC,
        maxClockAheadMs: config.VVCU_MAX_CLOCK_AHEAD_S * 1000,
        ...(config.REDIS_URL === undefined ? {} : { redisUrl: config.REDIS_URL }),
        clientIdPrefix: broker ? "vvcu-embedded" : `vvcu-embedded-${process.pid}`,
        twinOptions: { ...EMBEDDED_TWIN_OPTIONS, ...twinOverridesFromConfig(config), ...options.twinOptions },
      });
      hosts.push(host);
      cleanup.push([`MEC ${mec.id}`, () => host.close()]);
    }
  } catch (error) {
    return fail(error);
  }
  if (config.REDIS_URL !== undefined) {
    try {
      await homeKeptTwins(hosts, homes);
    } catch (error) {
      return fail(
        new StartupError(`cannot read the twins kept in Redis (REDIS_URL): ${(error as Error).message}`),
      );
    }
  }
  const routers = new Map<string, EventSink>(hosts.map((host) => [host.mec, host.router]));
  const controlSink = new MecRoutingSink(routers, (twin) => homes.homeOf(twin));

  const journal = new FileJournal({ file: journalFile, logger: componentLogger("journal") });
  const driver = new LocalDriver({
    hosts: new Map<string, TwinHostApi>(hosts.map((host) => [host.mec, host.twins])),
    homes,
    settle: settleBeforeCut(flow),
  });
  const brokerUrl = broker ? broker.url : connection.url;
  let driverFor: ReturnType<typeof embeddedDriverFor>;
  try {
    driverFor = embeddedDriverFor({
      topology,
      config,
      local: driver,
      mqttUrl: brokerUrl,
      kubeConfig: options.kubeConfig,
    });
  } catch (error) {
    return fail(error instanceof StartupError ? error : new StartupError((error as Error).message));
  }
  const engine = new MigrationEngine({
    mecs: topology.mecs.map((mec) => mec.id),
    driverFor,
    homes,
    journal,
    sink: controlSink,
    readyTimeoutMs: config.VVCU_MIGRATION_READY_TIMEOUT_S * 1000,
  });
  const geofence = geofenceFunction({
    config,
    topology,
    sink: controlSink,
    homes,
    driverName: topology.defaults.driver,
  });
  engine.onChange((migration) => geofence.noteMigration(migration));

  // The proxy publishes to the dashboard broker: VVCU_DASHBOARD_MQTT_URL, else the stack's broker
  // (in process when that is the embedded one).
  let publisher: DashboardPublisher;
  const dashboardUrl = config.VVCU_DASHBOARD_MQTT_URL;
  if (dashboardUrl === undefined && broker) {
    publisher = broker.publisher;
  } else {
    try {
      const proxyClient = await connectMqtt(
        dashboardUrl === undefined ? connection : mqttConnection(dashboardUrl, config),
        {
          clientId: `vvcu-proxy-${process.pid}`,
          timeoutMs: options.mqttTimeoutMs ?? 5_000,
          variable: dashboardUrl === undefined ? "MQTT_URL" : "VVCU_DASHBOARD_MQTT_URL",
        },
      );
      publisher = new MqttDashboardPublisher(proxyClient);
    } catch (error) {
      return fail(new StartupError((error as Error).message));
    }
  }
  const proxy = proxyFunction({ topology, publisher });
  cleanup.splice(beforeHosts, 0, ["dashboard proxy", () => proxy.stop().finally(() => publisher.close?.())]);
  for (const host of hosts) {
    const forget = forgetExpired(host.mec, homes, flow);
    host.router.subscribe("vvcu-geofence", async (event) => {
      await geofence.handle(event);
    });
    host.router.subscribe("vvcu-migration", async (event) => {
      await engine.handleEvent(event);
    });
    host.router.subscribe("vvcu-proxy", async (event) => {
      await proxy.handle(event);
      forget(event);
    });
  }
  // Closed in reverse: the engine stops (rolling back what runs) before its journal closes.
  cleanup.push(["migration journal", () => journal.close()]);
  cleanup.push(["migration engine", () => engine.close()]);
  try {
    const recovered = await engine.recover();
    if (recovered.rolledBack + recovered.finished > 0)
      logger.warn(recovered, "recovered migrations from the journal");
  } catch (error) {
    return fail(
      new StartupError(`cannot read the migration journal ${journalFile}: ${(error as Error).message}`),
    );
  }

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
  cleanup.push(["console event streams", async () => manager.close()]);

  let simulator: RunningSimulator | undefined;
  if (options.simVehicles > 0) {
    try {
      simulator = startSimulator({
        client: connected,
        vehicles: options.simVehicles,
        rateHz: options.simRateHz,
        zoneOf: (position) => zoneOfPosition(position.lat, position.lon),
      });
    } catch (error) {
      return fail(new StartupError(`simulator: ${(error as Error).message}`));
    }
    const running = simulator;
    cleanup.push(["simulator", () => running.stop()]);
  }

  const snapshot = summarySource({ hosts, homes, migrations: engine, startedAtMs });

  let closing: Promise<void> | undefined;
  const apiUrl = `${access.tls ? "https" : "http"}://${connectableHost(options.listenHost)}:${api.port}`;
  return {
    brokerUrl,
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
        await closeAll(cleanup.reverse(), 2_000);
      })();
      return closing;
    },
  };
}
