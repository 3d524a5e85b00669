/**
 * The bridge as `vvcu bridge` and the ContainerSource run it: everything from the environment
 * (functions/lib/config.ts), secrets from env or mounted files, the home filter fed by the
 * twin Deployments when running inside Kubernetes.
 */
import { existsSync, readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import type { Config } from "../../functions/lib/config.ts";
import type { Logger } from "../../functions/lib/log.ts";
import { apiTokenFromConfig } from "../../functions/lib/runtime/auth.ts";
import { httpTransport, parseCeOverrides } from "../../functions/lib/runtime/emit/httpTransport.ts";
import { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import { loadTopology, zoneIndexOf } from "../../functions/lib/topology.ts";
import { twinOptionsFromConfig } from "../../functions/lib/twin/state/options.ts";
import type { BridgeOptions } from "./bridge.ts";
import { homeFilter, type ShouldForward } from "./filter.ts";
import { startHomeInformer } from "./homeInformer.ts";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
const DEFAULT_CONCURRENCY = 64;

function readSecretFile(file: string, variable: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new Error(`${variable}: cannot read ${file}: ${(error as Error).message}`);
  }
  if (text === "") throw new Error(`${variable}: ${file} is empty`);
  return text;
}

function inKubernetes(env: NodeJS.ProcessEnv): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_NAMESPACE);
}

/** The zone lookup for the filter: this MEC when the position lies in its zone (shared borders count). */
export function zoneOfPositionFor(
  mec: string,
  topologyPath: string | undefined,
): (lat: number, lon: number) => string | undefined {
  const index = zoneIndexOf(loadTopology(topologyPath));
  return (lat, lon) => {
    const zones = index.containing(lat, lon);
    return zones.includes(mec) ? mec : zones[0];
  };
}

async function homeFilterFromCluster(
  config: Config,
  mec: string,
  logger: Logger,
): Promise<{ shouldForward: ShouldForward; close: () => Promise<void> }> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const namespace = config.POD_NAMESPACE ?? readSecretFile(SERVICE_ACCOUNT_NAMESPACE, "POD_NAMESPACE");
  const homes = new HomeRegistry();
  const informer = await startHomeInformer({ kubeConfig, namespace, mec, homes, logger });
  const shouldForward = homeFilter({
    mec,
    homes,
    zoneOfPosition: zoneOfPositionFor(mec, config.VVCU_TOPOLOGY),
    // The informer knows this cluster's twins only: another MEC's are told apart by first sighting.
    firstSighting: { forgetAfterMs: twinOptionsFromConfig(config).expireAfterMs },
  });
  return { shouldForward, close: () => informer.close() };
}

/** Bridge options from the configuration; throws one clear error for what is missing or wrong. */
export async function bridgeOptionsFromConfig(
  config: Config,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BridgeOptions> {
  const missing = [config.MQTT_URL ? undefined : "MQTT_URL", config.K_SINK ? undefined : "K_SINK"].filter(
    Boolean,
  );
  if (missing.length > 0) throw new Error(`${missing.join(" and ")} must be set`);
  const mec = config.VVCU_MEC_ID ?? "local";
  const password =
    config.MQTT_PASSWORD ??
    (config.MQTT_PASSWORD_FILE ? readSecretFile(config.MQTT_PASSWORD_FILE, "MQTT_PASSWORD_FILE") : undefined);
  const ca = config.MQTT_CA_FILE ? readSecretFile(config.MQTT_CA_FILE, "MQTT_CA_FILE") : undefined;
  const topics = config.VVCU_BRIDGE_TOPICS?.split(",")
    .map((topic) => topic.trim())
    .filter((topic) => topic !== "");
  const useHomeFilter =
    config.VVCU_BRIDGE_FILTER === "placement" || (config.VVCU_BRIDGE_FILTER === "auto" && inKubernetes(env));
  const apiToken = apiTokenFromConfig(config);
  const filter = useHomeFilter ? await homeFilterFromCluster(config, mec, logger) : undefined;

  return {
    mec,
    mqtt: {
      url: config.MQTT_URL as string,
      protocolVersion: config.MQTT_PROTOCOL_VERSION,
      ...(topics && topics.length > 0 ? { topics } : {}),
      ...(config.MQTT_USERNAME ? { username: config.MQTT_USERNAME } : {}),
      ...(password ? { password } : {}),
      ...(ca ? { ca } : {}),
    },
    sink: httpTransport({
      url: config.K_SINK as string,
      overrides: parseCeOverrides(config.K_CE_OVERRIDES),
      maxSockets: DEFAULT_CONCURRENCY,
    }),
    concurrency: DEFAULT_CONCURRENCY,
    deadLetterTopic: config.VVCU_DEADLETTER_TOPIC,
    maxClockAheadMs: config.VVCU_MAX_CLOCK_AHEAD_S * 1000,
    httpPort: config.VVCU_BRIDGE_PORT,
    ...(apiToken === undefined ? {} : { apiToken }),
    logger,
    ...(filter ? { shouldForward: filter.shouldForward, onClose: filter.close } : {}),
  };
}
