/** Runs a Simulation in real time against an MQTT broker: the shell around the pure simulation. */
import type { MqttClient } from "mqtt";
import { componentLogger, rateLimited } from "../../functions/lib/log.ts";
import { type SimMessage, type SimMessageKind, Simulation, type SimulationOptions } from "./simulation.ts";

/** Unsent bytes on the socket beyond which a tick's messages are dropped (about 4,000 CAMs). */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

export interface SimulatorOptions extends Omit<SimulationOptions, "startMs"> {
  client: MqttClient;
  /** How often the clock advances; CAMs keep their own timing within it. */
  tickMs?: number;
  qos?: 0 | 1;
}

export interface SimulatorStats {
  published: Record<SimMessageKind, number>;
  failed: number;
  /** Messages not sent because the broker was away or not keeping up. */
  dropped: number;
  vehicles: number;
}

export interface RunningSimulator {
  simulation: Simulation;
  stats(): SimulatorStats;
  stop(): Promise<void>;
}

export function startSimulator(options: SimulatorOptions): RunningSimulator {
  const logger = componentLogger("sim");
  const logFailure = rateLimited(10_000);
  const simulation = new Simulation({ ...options, startMs: Date.now() });
  const stats: SimulatorStats = {
    published: { cam: 0, cpm: 0, denm: 0, logs: 0 },
    failed: 0,
    dropped: 0,
    vehicles: options.vehicles,
  };
  const inFlight = new Set<Promise<unknown>>();
  const socket = () => options.client.stream as { writableLength?: number } | undefined;
  const publishAcknowledged = (message: SimMessage) => {
    const sent = options.client
      .publishAsync(message.topic, message.payload, { qos: 1 })
      .then(
        () => {
          stats.published[message.kind]++;
        },
        (error: unknown) => {
          stats.failed++;
          logFailure("publish", () =>
            logger.warn({ err: error, topic: message.topic }, "simulator publish failed"),
          );
        },
      )
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  };
  const tick = () => {
    const messages = simulation.tick(Date.now());
    // Stations do not queue what they cannot send: a tick that finds the broker away or the
    // socket backed up loses its messages (counted), instead of growing memory without bound.
    const blocked = !options.client.connected || (socket()?.writableLength ?? 0) > MAX_UNSENT_BYTES;
    if (blocked) {
      stats.dropped += messages.length;
      if (messages.length > 0)
        logFailure("blocked", () =>
          logger.warn(
            { connected: options.client.connected },
            "broker away or not keeping up; dropping simulated messages",
          ),
        );
      return;
    }
    for (const message of messages) {
      if (options.qos === 1) {
        publishAcknowledged(message);
        continue;
      }
      // QoS 0 has nothing to wait for: no promise or drain listener per message.
      options.client.publish(message.topic, message.payload, { qos: 0 });
      stats.published[message.kind]++;
    }
  };
  const timer = setInterval(tick, options.tickMs ?? 20);
  return {
    simulation,
    stats: () => ({ ...stats, published: { ...stats.published } }),
    async stop() {
      clearInterval(timer);
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => setTimeout(resolve, 1_000)),
      ]);
    },
  };
}
