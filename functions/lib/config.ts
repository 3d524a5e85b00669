/** The configuration schema: every environment variable vvcu reads, with its default, in one place. */
import { z } from "zod";
import { DEFAULT_DEADLETTER_TOPIC } from "./topics.ts";

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === "" ? undefined : value));

export const ConfigSchema = z.object({
  MQTT_URL: optionalString.describe("Broker to use; unset: start the embedded one"),
  MQTT_PORT: port.default(1883).describe("Port of the embedded broker"),
  MQTT_USERNAME: optionalString.describe("MQTT user name"),
  MQTT_PASSWORD: optionalString.describe("MQTT password (prefer MQTT_PASSWORD_FILE)"),
  MQTT_PASSWORD_FILE: optionalString.describe("File holding the MQTT password (a mounted secret)"),
  MQTT_CA_FILE: optionalString.describe("CA bundle for mqtts:// brokers"),
  VVCU_API_PORT: port.default(8080).describe("Manager API port"),
  VVCU_TOPOLOGY: optionalString.describe("Topology YAML; default: the bundled Aveiro topology"),
  VVCU_SIM: z.coerce
    .number()
    .int()
    .min(0)
    .default(6)
    .describe("Simulated vehicles; 0 turns the simulator off"),
  VVCU_API_TOKEN: optionalString.describe("Bearer token required by mutating API calls"),
  VVCU_API_TOKEN_FILE: optionalString.describe("File holding the API token (a mounted secret)"),
  K_SINK: optionalString.describe("Where the bridge (and functions) send CloudEvents"),
  K_CE_OVERRIDES: optionalString.describe("Knative CloudEvent overrides (JSON)"),
  VVCU_DEADLETTER_TOPIC: z
    .string()
    .default(DEFAULT_DEADLETTER_TOPIC)
    .describe("MQTT topic for rejected input"),
  VVCU_MEC_ID: optionalString.describe("Id of the MEC this process serves (cluster mode)"),
  VVCU_DASHBOARD_MQTT_URL: optionalString.describe("Broker the proxy publishes dashboard topics to"),
  REDIS_URL: optionalString.describe("Twin store; unset: in memory"),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("Log level of the JSON logs (also --log-level)"),
});
export type Config = z.infer<typeof ConfigSchema>;

/** Reads the configuration; throws one error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}
