/**
 * `vvcu start` (= `npm start`): the whole system on one machine. See cli/embedded/stack.ts.
 *
 * Logging: the terminal belongs to the live summary, so JSON logs go to stderr at `warn` unless
 * `--log-level` / LOG_LEVEL say otherwise, or to a file with `--log-file` / VVCU_LOG_FILE.
 */
import net from "node:net";
import { parseArgs } from "node:util";
import { loadConfig } from "../../functions/lib/config.ts";
import { MAX_RATE_HZ, MIN_RATE_HZ } from "../sim/simulation.ts";

const USAGE = `usage: vvcu start [options]

  --vehicles N        simulated vehicles, 0 for none (VVCU_SIM, default 6)
  --rate HZ           CAMs per simulated vehicle per second, ${MIN_RATE_HZ} to ${MAX_RATE_HZ} (default 2)
  --api-port PORT     manager API port (VVCU_API_PORT, default 8080)
  --mqtt-port PORT    embedded broker port (MQTT_PORT, default 1883)
  --mqtt-url URL      use this broker instead of the embedded one (MQTT_URL)
  --topology FILE     MECs and their zones (VVCU_TOPOLOGY, default the bundled Aveiro topology)
  --listen HOST       interface of the broker and the API (default 127.0.0.1; 0.0.0.0 for all);
                      beyond loopback it needs MQTT_USERNAME/MQTT_PASSWORD and VVCU_API_TOKEN
  --insecure-listen   listen beyond loopback without them (VVCU_INSECURE_LISTEN): anyone on the
                      network can read and move every twin
  --journal FILE      migration journal (VVCU_MIGRATION_JOURNAL, default .vvcu/migrations.jsonl)
  --log-level LEVEL   fatal, error, warn, info, debug, trace or silent (LOG_LEVEL, default warn)
  --log-file FILE     write the JSON logs to FILE instead of stderr (VVCU_LOG_FILE)
  --summary-interval S seconds between summary updates (default 1 on a terminal, 10 otherwise)`;

/** Flags win over the environment; both are read through config.ts by the stack. */
function applyFlagsToEnv(values: Record<string, string | boolean | undefined>): void {
  const env: [string, string][] = [
    ["vehicles", "VVCU_SIM"],
    ["api-port", "VVCU_API_PORT"],
    ["mqtt-port", "MQTT_PORT"],
    ["mqtt-url", "MQTT_URL"],
    ["topology", "VVCU_TOPOLOGY"],
    ["journal", "VVCU_MIGRATION_JOURNAL"],
    ["log-level", "LOG_LEVEL"],
    ["log-file", "VVCU_LOG_FILE"],
  ];
  for (const [flag, variable] of env) {
    const value = values[flag];
    if (typeof value === "string") process.env[variable] = value;
  }
  process.env.LOG_LEVEL ??= "warn";
  process.env.VVCU_LOG_FILE ??= "stderr";
}

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !(parsed > 0))
    throw new Error(`--${name} must be a positive number, got '${value}'`);
  return parsed;
}

/** The listen address must be one of this machine's: else `--listen` is the problem, not a port. */
async function checkListenAddress(host: string): Promise<void> {
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(0, host, () => resolve());
    });
  } catch (error) {
    throw new Error(`--listen ${host}: cannot listen on this address (${(error as Error).message})`);
  } finally {
    probe.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      vehicles: { type: "string" },
      rate: { type: "string" },
      "api-port": { type: "string" },
      "mqtt-port": { type: "string" },
      "mqtt-url": { type: "string" },
      topology: { type: "string" },
      listen: { type: "string", default: "127.0.0.1" },
      "insecure-listen": { type: "boolean", default: false },
      journal: { type: "string" },
      "log-level": { type: "string" },
      "log-file": { type: "string" },
      "summary-interval": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  // Every option is checked before anything starts: a bad one must not leave a broker or an API behind.
  const rateHz = positiveNumber(values.rate, "rate", 2);
  if (rateHz < MIN_RATE_HZ || rateHz > MAX_RATE_HZ)
    throw new Error(`--rate must be between ${MIN_RATE_HZ} and ${MAX_RATE_HZ} Hz, got '${values.rate}'`);
  const tty = process.stdout.isTTY === true;
  const summaryIntervalMs =
    positiveNumber(values["summary-interval"], "summary-interval", tty ? 1 : 10) * 1000;
  await checkListenAddress(values.listen);
  applyFlagsToEnv(values);
  if (values["insecure-listen"]) process.env.VVCU_INSECURE_LISTEN = "true";

  // Validated before the logger exists; config.ts does not load it.
  const config = loadConfig();
  // Imported only now: the logger reads LOG_LEVEL and VVCU_LOG_FILE when it is first loaded.
  const { startStack } = await import("../embedded/stack.ts");
  const { StartupError } = await import("../embedded/startupErrors.ts");
  const { SummaryPrinter } = await import("../embedded/summary.ts");
  const { redactUrl } = await import("../../functions/lib/log.ts");

  const startedAt = performance.now();
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack({
      config,
      listenHost: values.listen,
      simVehicles: config.VVCU_SIM,
      simRateHz: rateHz,
    });
  } catch (error) {
    if (error instanceof StartupError) {
      console.error(`vvcu start: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const mecs = stack.topology.mecs.map((mec) => (mec.name ? `${mec.id} (${mec.name})` : mec.id)).join(", ");
  const logsTo = process.env.VVCU_LOG_FILE === "stderr" ? "stderr" : process.env.VVCU_LOG_FILE;
  console.log(
    [
      `vvcu: embedded stack up in ${Math.round(performance.now() - startedAt)} ms`,
      `  console  ${stack.consoleUrl}`,
      `  API      ${stack.apiUrl}/api/v1/twins`,
      `  docs     ${stack.docsUrl}`,
      `  metrics  ${stack.apiUrl}/metrics`,
      `  broker   ${redactUrl(stack.brokerUrl)}${config.MQTT_URL === undefined ? " (embedded)" : ""}`,
      `  listen   ${stack.listen} (--listen)`,
      `  MECs     ${mecs}`,
      `  sim      ${config.VVCU_SIM > 0 ? `${config.VVCU_SIM} vehicles at ${rateHz} Hz` : "off"} (VVCU_SIM, --vehicles)`,
      `  logs     ${process.env.LOG_LEVEL} and above to ${logsTo} (--log-level, --log-file)`,
      // In the banner whatever the log level or file: an open stack must not go unnoticed.
      ...stack.warnings.map((warning) => `vvcu: WARNING: ${warning}`),
      "Ctrl-C stops.",
    ].join("\n"),
  );
  const printer = new SummaryPrinter({
    snapshot: () => stack.snapshot(),
    write: (text) => process.stdout.write(text),
    tty,
    intervalMs: summaryIntervalMs,
  });
  printer.start();

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      console.log(`\nvvcu: ${signal}, stopping`);
      // A second signal, or a shutdown stuck past the deadline, ends the process at once.
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      setTimeout(() => {
        console.error("vvcu: shutdown took too long; exiting");
        process.exit(1);
      }, 5_000).unref();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  printer.stop();
  await stack.close();
  console.log("vvcu: stopped");
  // Whatever still holds the event loop (a reconnect timer, a socket) must not keep us alive.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}
