/** Runs a Simulation in real time against an MQTT broker: the shell around the pure simulation. */
import type { MqttClient } from "mqtt";
import { componentLogger, rateLimited } from "../../functions/lib/log.ts";
import { type SimMessageKind, Simulation, type SimulationOptions } from "./simulation.ts";

export interface SimulatorOptions extends Omit<SimulationOptions, "startMs"> {
  client: MqttClient;
  /** How often the clock advances; CAMs keep their own timing within it. */
  tickMs?: number;
  qos?: 0 | 1;
}

export interface SimulatorStats {
  published: Record<SimMessageKind, number>;
  failed: number;
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
    published: { cam: 0, cpm: 0, logs: 0 },
    failed: 0,
    vehicles: options.vehicles,
  };
  const inFlight = new Set<Promise<unknown>>();
  const tick = () => {
    for (const message of simulation.tick(Date.now())) {
      const sent = options.client
        .publishAsync(message.topic, message.payload, { qos: options.qos ?? 0 })
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
