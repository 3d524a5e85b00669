/**
 * `vvcu bridge`: the MQTT to CloudEvents bridge alone, configured from the environment
 * (MQTT_URL, K_SINK, VVCU_MEC_ID, ...). Stops cleanly on SIGTERM or SIGINT: stops taking
 * messages, drains its queue within a deadline, disconnects.
 */
import { parseArgs } from "node:util";
import type { bridgeOptionsFromConfig } from "../../bridges/mqtt/fromConfig.ts";
import { loadConfig } from "../../functions/lib/config.ts";

const USAGE = `usage: vvcu bridge [--log-level LEVEL]

  --log-level LEVEL   fatal, error, warn, info, debug, trace or silent (LOG_LEVEL, default info)

Reads MQTT (MQTT_URL) and sends CloudEvents to K_SINK. Environment:
  MQTT_URL, K_SINK (required), VVCU_MEC_ID, VVCU_DEADLETTER_TOPIC, VVCU_BRIDGE_PORT (8081),
  VVCU_BRIDGE_TOPICS, VVCU_BRIDGE_FILTER, MQTT_PROTOCOL_VERSION, MQTT_USERNAME,
  MQTT_PASSWORD / MQTT_PASSWORD_FILE, MQTT_CA_FILE, K_CE_OVERRIDES, POD_NAMESPACE`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: "boolean", default: false }, "log-level": { type: "string" } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values["log-level"] !== undefined) process.env.LOG_LEVEL = values["log-level"];
  let options: Awaited<ReturnType<typeof bridgeOptionsFromConfig>>;
  // Validated (LOG_LEVEL too) before the logger exists; config.ts does not load it.
  const config = loadConfig();
  // Imported only now: the logger reads LOG_LEVEL when it is first loaded.
  const { componentLogger } = await import("../../functions/lib/log.ts");
  const { bridgeOptionsFromConfig } = await import("../../bridges/mqtt/fromConfig.ts");
  const { startBridge } = await import("../../bridges/mqtt/bridge.ts");
  const logger = componentLogger("bridge", { mec: config.VVCU_MEC_ID ?? "local" });
  try {
    options = await bridgeOptionsFromConfig(config, logger);
  } catch (error) {
    console.error(`vvcu bridge: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const bridge = await startBridge(options);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info({ signal }, "stopping: draining the queue");
  await bridge.close();
  return 0;
}
