/**
 * `vvcu sim`: the simulator alone, against MQTT_URL (default: the embedded broker of `vvcu start`
 * on 127.0.0.1:MQTT_PORT). Simulates vehicles and RSUs, or replays a trace, and can record the
 * broker's live traffic to a trace.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../functions/lib/config.ts";
import { redactUrl } from "../../functions/lib/log.ts";
import { connectMqtt, mqttConnection } from "../../functions/lib/runtime/mqttConnect.ts";
import { DEFAULT_INPUT_TOPICS } from "../../functions/lib/topics.ts";
import { loadTopology, zoneIndexOf } from "../../functions/lib/topology.ts";
import { startSimulator } from "../sim/runner.ts";
import { MAX_RATE_HZ, MIN_RATE_HZ } from "../sim/simulation.ts";
import { openTraceFile, recordTrace, replayTrace, type TraceRecorder } from "../sim/trace.ts";

const USAGE = `usage: vvcu sim [options]

  --url URL          broker (default: MQTT_URL, else mqtt://127.0.0.1:MQTT_PORT)
  --vehicles N       simulated vehicles (default: VVCU_SIM, 6)
  --rate HZ          CAMs per vehicle per second, ${MIN_RATE_HZ} to ${MAX_RATE_HZ} (default 2)
  --cpm-rate HZ      CPMs per RSU per second, 0 for none (default 1)
  --log-interval S   seconds between a station's network logs, 0 for none (default 5)
  --gps-noise M      GPS error, standard deviation in metres (default 2.5)
  --seed N           random seed (default 1)
  --duration S       stop after S seconds (default: until Ctrl-C)
  --replay FILE      publish a recorded JSON-lines trace instead of simulating
  --speed X          replay speed: 1 as recorded, 10 ten times faster, 0 as fast as possible (default 1)
  --record FILE      write the broker's live input traffic to a JSON-lines trace
  --qos 0|1          QoS of published messages (default 0)`;

function numberOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed))
    throw new Error(`--${name} must be a number, got '${value}'`);
  return parsed;
}

/** Resolves on SIGINT, SIGTERM or after `durationS`; `release` gives the signals back to Node. */
function untilStopped(durationS: number | undefined): {
  promise: Promise<void>;
  signal: AbortSignal;
  release(): void;
} {
  const controller = new AbortController();
  let stop = () => {};
  const promise = new Promise<void>((resolve) => {
    stop = () => {
      controller.abort();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (durationS !== undefined) setTimeout(stop, durationS * 1000).unref();
  });
  return {
    promise,
    signal: controller.signal,
    release: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      vehicles: { type: "string" },
      rate: { type: "string" },
      "cpm-rate": { type: "string" },
      "log-interval": { type: "string" },
      "gps-noise": { type: "string" },
      seed: { type: "string" },
      duration: { type: "string" },
      replay: { type: "string" },
      speed: { type: "string" },
      record: { type: "string" },
      qos: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  const url = values.url ?? config.MQTT_URL ?? `mqtt://127.0.0.1:${config.MQTT_PORT}`;
  const qos = numberOption(values.qos, "qos", 0);
  if (qos !== 0 && qos !== 1) throw new Error(`--qos must be 0 or 1, got ${qos}`);
  const durationS = values.duration === undefined ? undefined : numberOption(values.duration, "duration", 0);
  const vehicles = numberOption(values.vehicles, "vehicles", config.VVCU_SIM);
  // The trace file is opened before connecting: a bad path ends the command before anything runs.
  const traceFile = values.record === undefined ? undefined : await openTraceFile(values.record);
  const client = await connectMqtt(mqttConnection(url, config), {
    clientId: `vvcu-sim-${process.pid}`,
    variable: values.url === undefined ? (config.MQTT_URL ? "MQTT_URL" : "MQTT_PORT") : "--url",
  });
  // Signals are ours before anyone is told we are connected.
  const stopped = untilStopped(durationS);
  console.log(`vvcu sim: connected to ${redactUrl(url)}`);
  let recorder: TraceRecorder | undefined;
  try {
    if (traceFile !== undefined) recorder = await recordTrace(client, traceFile, DEFAULT_INPUT_TOPICS);
    if (values.replay !== undefined) {
      const speed = numberOption(values.speed, "speed", 1);
      const count = await replayTrace({ client, file: values.replay, speed, qos, signal: stopped.signal });
      console.log(`vvcu sim: replayed ${count} messages from ${values.replay}`);
    } else if (vehicles > 0 || recorder === undefined) {
      const zones = zoneIndexOf(loadTopology(config.VVCU_TOPOLOGY));
      const simulator = startSimulator({
        client,
        vehicles,
        rateHz: numberOption(values.rate, "rate", 2),
        cpmRateHz: numberOption(values["cpm-rate"], "cpm-rate", 1),
        logIntervalS: numberOption(values["log-interval"], "log-interval", 5),
        gpsNoiseM: numberOption(values["gps-noise"], "gps-noise", 2.5),
        seed: numberOption(values.seed, "seed", 1),
        zoneOf: (position) => zones.containing(position.lat, position.lon)[0],
        qos,
      });
      const report = setInterval(() => {
        const { published, failed, dropped } = simulator.stats();
        console.log(
          `vvcu sim: published cam ${published.cam}, cpm ${published.cpm}, denm ${published.denm}, logs ${published.logs}, failed ${failed}, dropped ${dropped} (broker away or not keeping up)`,
        );
      }, 5_000);
      await stopped.promise;
      clearInterval(report);
      await simulator.stop();
    } else {
      await stopped.promise;
    }
  } finally {
    if (recorder) {
      await recorder.close();
      console.log(`vvcu sim: recorded ${recorder.recorded()} messages to ${values.record}`);
    }
    stopped.release();
    await client.endAsync();
  }
  return 0;
}
