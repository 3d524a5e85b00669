/**
 * The control plane of `vvcu start`: the geofence, the migration engine with each MEC's driver
 * (drivers.ts) and a file journal, and the dashboard proxy, one set of functions subscribed to
 * every MEC's router. What they emit goes into the router of the MEC it concerns (MecRoutingSink),
 * as it would between clusters.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { geofenceFunction } from "../../functions/geofence/geofence.ts";
import type { Config } from "../../functions/lib/config.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { LocalDriver } from "../../functions/lib/migration/drivers/local.ts";
import { MigrationEngine } from "../../functions/lib/migration/engine/engine.ts";
import { FileJournal } from "../../functions/lib/migration/journal/fileJournal.ts";
import type { EventSink } from "../../functions/lib/runtime/emit/sink.ts";
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import { MecRoutingSink } from "../../functions/lib/runtime/mecSink.ts";
import type { Topology } from "../../functions/lib/topology.ts";
import type { TwinHostApi } from "../../functions/lib/twin/remote/host.ts";
import { proxyFunction } from "../../functions/proxy/proxy.ts";
import { embeddedDriverFor } from "./drivers.ts";
import type { StationFlow } from "./flow.ts";
import type { ShutdownSteps } from "./lifecycle.ts";
import type { MecHost } from "./mecHost.ts";
import { dashboardPublisher, type StackMqtt, type StackMqttOptions } from "./mqttSetup.ts";
import { forgetExpired, settleBeforeCut } from "./policy.ts";
import { StartupError } from "./startupErrors.ts";

export interface ControlPlaneOptions {
  config: Config;
  topology: Topology;
  hosts: MecHost[];
  homes: HomeRegistry;
  flow: StationFlow;
  mqtt: StackMqtt;
  mqttOptions: StackMqttOptions;
  journalFile: string;
  kubeConfig?: KubeConfig;
  /** Where in `shutdown` the proxy's step goes: it closes after the hosts, whose last twin updates reach it. */
  proxyShutsDownAt: number;
}

/**
 * Starts the control plane and finishes or undoes the migrations the journal holds; each part
 * it starts is added to `shutdown`. Throws a StartupError for what cannot start.
 */
export async function startControlPlane(
  options: ControlPlaneOptions,
  shutdown: ShutdownSteps,
): Promise<MigrationEngine> {
  const { config, topology, hosts, homes, flow, journalFile } = options;
  const routers = new Map<string, EventSink>(hosts.map((host) => [host.mec, host.router]));
  const controlSink = new MecRoutingSink(routers, (twin) => homes.homeOf(twin));

  const journal = new FileJournal({ file: journalFile, logger: componentLogger("journal") });
  const driver = new LocalDriver({
    hosts: new Map<string, TwinHostApi>(hosts.map((host) => [host.mec, host.twins])),
    homes,
    settle: settleBeforeCut(flow),
  });
  let driverFor: ReturnType<typeof embeddedDriverFor>;
  try {
    driverFor = embeddedDriverFor({
      topology,
      config,
      local: driver,
      mqttUrl: options.mqtt.url,
      kubeConfig: options.kubeConfig,
    });
  } catch (error) {
    throw error instanceof StartupError ? error : new StartupError((error as Error).message);
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

  const publisher = await dashboardPublisher(options.mqttOptions, options.mqtt);
  const proxy = proxyFunction({ topology, publisher });
  shutdown.insert(options.proxyShutsDownAt, "dashboard proxy", () =>
    proxy.stop().finally(() => publisher.close?.()),
  );
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
  shutdown.add("migration journal", () => journal.close());
  shutdown.add("migration engine", () => engine.close());
  try {
    const recovered = await engine.recover();
    if (recovered.rolledBack + recovered.finished > 0) {
      componentLogger("stack").warn(recovered, "recovered migrations from the journal");
    }
  } catch (error) {
    throw new StartupError(`cannot read the migration journal ${journalFile}: ${(error as Error).message}`);
  }
  return engine;
}
