/**
 * The MECs of `vvcu start`, one host each (bridge, router, twin store, twin function), on the
 * stack's broker; with Redis, the twins it kept are at home where they are kept.
 */
import type { Config } from "../../functions/lib/config.ts";
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { TriggerRoute } from "../../functions/lib/runtime/triggers.ts";
import type { Topology } from "../../functions/lib/topology.ts";
import { type TwinOptions, twinOverridesFromConfig } from "../../functions/lib/twin/state/options.ts";
import type { StationFlow } from "./flow.ts";
import type { ShutdownSteps } from "./lifecycle.ts";
import { homeKeptTwins, type MecHost, startMecHost } from "./mecHost.ts";
import type { StackMqtt } from "./mqttSetup.ts";
import { EMBEDDED_TWIN_OPTIONS } from "./policy.ts";
import { StartupError } from "./startupErrors.ts";

export interface MecHostsOptions {
  config: Config;
  topology: Topology;
  routes: TriggerRoute[];
  homes: HomeRegistry;
  zoneOfPosition: (lat: number, lon: number) => string | undefined;
  flow: StationFlow;
  mqtt: StackMqtt;
  twinOptions?: Partial<TwinOptions>;
}

/** Each host it starts is added to `shutdown`. */
export async function startMecHosts(options: MecHostsOptions, shutdown: ShutdownSteps): Promise<MecHost[]> {
  const { config, mqtt } = options;
  const hosts: MecHost[] = [];
  for (const mec of options.topology.mecs) {
    const host = await startMecHost({
      mec: mec.id,
      routes: options.routes,
      homes: options.homes,
      zoneOfPosition: options.zoneOfPosition,
      flow: options.flow,
      mqtt: mqtt.connection,
      source: mqtt.source,
      deadLetterTopic: config.VVCU_DEADLETTER_TOPIC,
      maxClockAheadMs: config.VVCU_MAX_CLOCK_AHEAD_S * 1000,
      ...(config.REDIS_URL === undefined ? {} : { redisUrl: config.REDIS_URL }),
      twinOptions: { ...EMBEDDED_TWIN_OPTIONS, ...twinOverridesFromConfig(config), ...options.twinOptions },
    });
    hosts.push(host);
    shutdown.add(`MEC ${mec.id}`, () => host.close());
  }
  if (config.REDIS_URL !== undefined) {
    try {
      await homeKeptTwins(hosts, options.homes);
    } catch (error) {
      throw new StartupError(`cannot read the twins kept in Redis (REDIS_URL): ${(error as Error).message}`);
    }
  }
  return hosts;
}
