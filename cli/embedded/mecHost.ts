/**
 * One MEC of the embedded stack: its broker stand-in (router over knative/triggers.yaml), its
 * twin store and twin function, and its own MQTT bridge that reads the stack's shared subscription
 * and forwards the stations this MEC hosts (home filter) into the router, in process.
 */
import { type RunningBridge, startBridge } from "../../bridges/mqtt/bridge.ts";
import { homeFilter } from "../../bridges/mqtt/filter.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { inProcessTransport } from "../../functions/lib/runtime/emit/inProcess.ts";
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { MqttConnection } from "../../functions/lib/runtime/mqttConnect.ts";
import { EventRouter } from "../../functions/lib/runtime/router.ts";
import type { TriggerRoute } from "../../functions/lib/runtime/triggers.ts";
import { TwinService } from "../../functions/lib/twin/service.ts";
import type { TwinOptions } from "../../functions/lib/twin/state/options.ts";
import { MemoryTwinStore } from "../../functions/lib/twin/store/memoryStore.ts";
import { RedisTwinStore } from "../../functions/lib/twin/store/redisStore.ts";
import type { InProcessSource } from "./broker/fanOut.ts";
import type { StationFlow } from "./flow.ts";
import { homeOnFirstMessage } from "./policy.ts";

export interface MecHostOptions {
  mec: string;
  routes: TriggerRoute[];
  homes: HomeRegistry;
  /** The MEC whose zone holds a position. */
  zoneOfPosition: (lat: number, lon: number) => string | undefined;
  flow: StationFlow;
  /** The broker, as the bridge's logs name it. */
  mqtt: MqttConnection & { protocolVersion?: 4 | 5 };
  /** The stack's shared subscription (embedded broker, or the one session at MQTT_URL). */
  source: InProcessSource;
  deadLetterTopic: string;
  /** How far ahead of the receiver's clock a station's time may be (VVCU_MAX_CLOCK_AHEAD_S). */
  maxClockAheadMs?: number;
  twinOptions?: Partial<TwinOptions>;
  /** Keeps the twins in Redis (REDIS_URL), which outlives the process; default in memory. */
  redisUrl?: string;
}

export interface MecHost {
  mec: string;
  router: EventRouter;
  twins: TwinService;
  bridge: RunningBridge;
  close(): Promise<void>;
}

const nothing = (): void => {};

export async function startMecHost(options: MecHostOptions): Promise<MecHost> {
  const { mec, flow } = options;
  const router = new EventRouter({ mec, routes: options.routes });
  const store =
    options.redisUrl === undefined
      ? new MemoryTwinStore()
      : new RedisTwinStore({ url: options.redisUrl, mec });
  const twins = new TwinService({ mec, store, sink: router, options: options.twinOptions ?? {} });
  // Not async: this runs for every message (handle does not throw; it answers with a promise).
  router.subscribe("vvcu-twin", (event) => {
    const station = event.subject;
    const handled = twins.handle(event);
    if (station === undefined) return handled.then(nothing);
    const done = () => flow.handled(mec, station);
    return handled.then(done, (error: unknown) => {
      done();
      throw error;
    });
  });
  await twins.start();
  const forward = homeFilter({
    mec,
    homes: options.homes,
    zoneOfPosition: options.zoneOfPosition,
  });
  let bridge: RunningBridge;
  try {
    bridge = await startBridge({
      mec,
      mqtt: { url: options.mqtt.url },
      source: options.source.start,
      claimRejection: options.source.claimRejection,
      sink: inProcessTransport(router.ingress()),
      deadLetterTopic: options.deadLetterTopic,
      ...(options.maxClockAheadMs === undefined ? {} : { maxClockAheadMs: options.maxClockAheadMs }),
      shouldForward: homeOnFirstMessage(mec, options.homes, flow, forward),
      drainTimeoutMs: 2_000,
      logger: componentLogger("bridge", { mec }),
    });
  } catch (error) {
    await twins.stop();
    await router.close(0);
    throw error;
  }
  return {
    mec,
    router,
    twins,
    bridge,
    async close() {
      // Input first; then the twins send their last updates while the router still delivers.
      await bridge.close();
      await twins.stop();
      await router.close(1_500);
      await store.close();
    },
  };
}

/** Twins a store kept from an earlier run (Redis) are at home where they are kept, until they move. */
export async function homeKeptTwins(hosts: MecHost[], homes: HomeRegistry): Promise<void> {
  for (const host of hosts) {
    for (const kept of await host.twins.twins()) {
      if (homes.homeOf(kept.id) === undefined) homes.setHome(kept.id, host.mec);
    }
  }
}
