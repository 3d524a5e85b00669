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
  MQTT_USERNAME: optionalString.describe(
    "MQTT user name; with a password set, the embedded broker refuses every client without both",
  ),
  MQTT_PASSWORD: optionalString.describe("MQTT password (prefer MQTT_PASSWORD_FILE)"),
  MQTT_PASSWORD_FILE: optionalString.describe("File holding the MQTT password (a mounted secret)"),
  MQTT_CA_FILE: optionalString.describe("CA bundle for mqtts:// brokers"),
  VVCU_TLS_CERT_FILE: optionalString.describe(
    "PEM certificate (chain) of the embedded broker (mqtts) and the manager API (https) of vvcu start; with VVCU_TLS_KEY_FILE",
  ),
  VVCU_TLS_KEY_FILE: optionalString.describe("PEM private key of VVCU_TLS_CERT_FILE (a mounted secret)"),
  VVCU_INSECURE_LISTEN: z
    .enum(["true", "false", "1", "0"])
    .default("false")
    .transform((value) => value === "true" || value === "1")
    .describe(
      "vvcu start: listen beyond loopback without broker credentials or API token (also --insecure-listen); loudly warned",
    ),
  VVCU_API_PORT: port.default(8080).describe("Manager API port"),
  VVCU_TOPOLOGY: optionalString.describe("Topology YAML; default: the bundled Aveiro topology"),
  VVCU_SIM: z.coerce
    .number()
    .int()
    .min(0)
    .default(6)
    .describe("Simulated vehicles; 0 turns the simulator off"),
  VVCU_API_TOKEN: optionalString.describe(
    "Bearer token every API path but /health and /ready needs (also /metrics of the bridge and the functions)",
  ),
  VVCU_API_TOKEN_FILE: optionalString.describe("File holding the API token (a mounted secret)"),
  VVCU_CONSOLE_TILE_URL: optionalString.describe(
    "Street map tiles under the console's map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; unset: a plain background (no network needed)",
  ),
  VVCU_CONSOLE_TILE_ATTRIBUTION: optionalString.describe(
    "Attribution shown with VVCU_CONSOLE_TILE_URL's tiles",
  ),
  K_SINK: optionalString.describe("Where the bridge (and functions) send CloudEvents"),
  K_CE_OVERRIDES: optionalString.describe("Knative CloudEvent overrides (JSON)"),
  VVCU_DEADLETTER_TOPIC: z
    .string()
    .default(DEFAULT_DEADLETTER_TOPIC)
    .describe("MQTT topic for rejected input"),
  VVCU_MEC_ID: optionalString.describe("Id of the MEC this process serves (cluster mode)"),
  VVCU_BRIDGE_PORT: port.default(8081).describe("Bridge: port of its /metrics, /health and /ready"),
  VVCU_BRIDGE_TOPICS: optionalString.describe(
    "Bridge: MQTT topic patterns to read, comma-separated; default: every input topic (see MQTT topics)",
  ),
  VVCU_BRIDGE_FILTER: z
    .enum(["auto", "placement", "none"])
    .default("auto")
    .describe(
      "Bridge: `placement` is the home filter: forward only stations whose home is this MEC (twin Deployments in POD_NAMESPACE) or new in its zone; `none` forwards everything; `auto`: the home filter inside Kubernetes",
    ),
  POD_NAMESPACE: optionalString.describe(
    "Bridge in a cluster: namespace of the twin Deployments; default: the service account's namespace",
  ),
  VVCU_MAX_CLOCK_AHEAD_S: z.coerce
    .number()
    .positive()
    .default(60)
    .describe(
      "Bridge: a C-ITS message stamped more than this many seconds ahead of the receiver's clock is dead-lettered (time-ahead)",
    ),
  MQTT_PROTOCOL_VERSION: z
    .enum(["4", "5"])
    .default("5")
    .transform((value) => (value === "4" ? 4 : 5))
    .describe("MQTT version the bridge speaks: 5, or 4 (3.1.1) for brokers without MQTT 5 such as Aedes"),
  VVCU_DASHBOARD_MQTT_URL: optionalString.describe("Broker the proxy publishes dashboard topics to"),
  REDIS_URL: optionalString.describe("Twin store (also of vvcu start); unset: in memory"),
  VVCU_TWIN_STALE_AFTER_S: z.coerce
    .number()
    .positive()
    .optional()
    .describe("Seconds without messages before a twin is stale; default 10 (functions/lib/twin/options.ts)"),
  VVCU_TWIN_EXPIRE_AFTER_S: z.coerce
    .number()
    .positive()
    .optional()
    .describe("Seconds without messages before a twin is removed (twin.expired); default 60"),
  VVCU_TWIN_NEIGHBOUR_RADIUS_M: z.coerce
    .number()
    .positive()
    .optional()
    .describe("Twins of the same MEC within this many metres are neighbours; default 300"),
  VVCU_TWIN_UPDATES_PER_S: z.coerce
    .number()
    .positive()
    .optional()
    .describe(
      "At most this many twin.updated per twin and second (the last state is always sent); default 10 (vvcu start: 2)",
    ),
  VVCU_TWIN_HISTORY_S: z.coerce
    .number()
    .positive()
    .optional()
    .describe("Seconds of each twin's history kept (GET /api/v1/twins/{id}/history); default 600"),
  VVCU_TWIN_HISTORY_INTERVAL_S: z.coerce
    .number()
    .positive()
    .optional()
    .describe("At most one history sample per this many seconds (faster reports are downsampled); default 1"),
  VVCU_TWIN_HISTORY_OBJECTS_INTERVAL_S: z.coerce
    .number()
    .positive()
    .optional()
    .describe(
      "At most one history record of a station's perceived objects per this many seconds; default 10",
    ),
  VVCU_DASHBOARD_MQTT_QOS: z
    .enum(["0", "1"])
    .default("0")
    .transform(Number)
    .describe("QoS of the proxy's dashboard publications"),
  VVCU_GEOFENCE_MARGIN_M: z.coerce
    .number()
    .min(0)
    .default(25)
    .describe("Geofence hysteresis: metres past the home zone's border before another zone counts"),
  VVCU_GEOFENCE_MIN_DWELL_S: z.coerce
    .number()
    .min(0)
    .default(2)
    .describe("Geofence hysteresis: seconds inside the new zone before a migration"),
  VVCU_GEOFENCE_MIN_FIXES: z.coerce
    .number()
    .int()
    .min(1)
    .default(3)
    .describe("Geofence hysteresis: positions inside the new zone before a migration"),
  VVCU_GEOFENCE_COOLDOWN_S: z.coerce
    .number()
    .min(0)
    .default(30)
    .describe("Seconds after a twin's migration before the geofence moves it again"),
  VVCU_GEOFENCE_PREDICTION: z
    .enum(["true", "false", "1", "0"])
    .default("true")
    .transform((value) => value === "true" || value === "1")
    .describe("Request migrations early from the position projected from speed and heading"),
  VVCU_GEOFENCE_LEAD_S: z.coerce
    .number()
    .min(0)
    .optional()
    .describe(
      "Prediction lead in seconds; default: the driver's typical time until ready (local 1, kubernetes 5, osm 35)",
    ),
  VVCU_MIGRATION_JOURNAL: optionalString.describe(
    "Migration journal (JSON lines); embedded default: .vvcu/migrations.jsonl",
  ),
  VVCU_MIGRATION_URL: z
    .string()
    .default("http://vvcu-migration")
    .describe("Cluster mode: where the manager reaches the migration function's control API"),
  VVCU_MIGRATION_READY_TIMEOUT_S: z.coerce
    .number()
    .positive()
    .default(120)
    .describe("A migration whose target is not ready after this many seconds rolls back"),
  OSM_NBI_URL: optionalString.describe(
    "OSM northbound API for the osm migration driver, e.g. https://osm:9999",
  ),
  OSM_USERNAME: optionalString.describe("OSM user of the osm driver"),
  OSM_PASSWORD: optionalString.describe("OSM password (prefer OSM_PASSWORD_FILE)"),
  OSM_PASSWORD_FILE: optionalString.describe("File holding the OSM password (a mounted secret)"),
  OSM_PROJECT: z.string().default("admin").describe("OSM project the twins' NS instances belong to"),
  OSM_CA_FILE: optionalString.describe(
    "CA bundle (PEM) that signed the NBI's certificate; verification is always on",
  ),
  VVCU_TWIN_ID: optionalString.describe(
    "Twin CNF: the one station this process hosts (set by charts/vvcu-twin)",
  ),
  VVCU_MIGRATION_ID: optionalString.describe(
    "Twin CNF: the migration that placed it (set by charts/vvcu-twin)",
  ),
  VVCU_HYDRATE_FROM: optionalString.describe("Twin CNF: URL of the source twin's snapshot to start from"),
  VVCU_TWIN_TOPICS: optionalString.describe("Twin CNF: extra MQTT topics, a JSON array of strings"),
  VVCU_LOG_FILE: optionalString.describe(
    "Where JSON logs go: stdout (default), stderr, or a file path (vvcu start: stderr unless --log-file)",
  ),
  VVCU_METRICS_PORT: port
    .optional()
    .describe("A function's /metrics listener beside the port Knative routes (cluster); unset: none"),
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
