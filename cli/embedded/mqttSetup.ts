/**
 * The MQTT side of `vvcu start`: the embedded broker (Aedes on its own thread) unless MQTT_URL
 * names one, the stack's own client, the bridges' shared subscription (inside the embedded broker,
 * or the stack's one session at MQTT_URL on a thread of its own), and the broker the dashboard
 * proxy publishes to.
 */
import type { MqttClient } from "mqtt";
import type { Config } from "../../functions/lib/config.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { MqttDashboardPublisher } from "../../functions/lib/proxy/mqttPublisher.ts";
import type { DashboardPublisher } from "../../functions/lib/proxy/publisher.ts";
import { connectMqtt, type MqttConnection, mqttConnection } from "../../functions/lib/runtime/mqttConnect.ts";
import { DEFAULT_INPUT_TOPICS } from "../../functions/lib/topics.ts";
import type { StackAccess } from "./access.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "./broker/brokerThread.ts";
import type { InProcessSource } from "./broker/fanOut.ts";
import { type ExternalSubscription, startExternalSubscription } from "./broker/subscriberThread.ts";
import type { ShutdownSteps } from "./lifecycle.ts";
import { StartupError } from "./startupErrors.ts";

export interface StackMqtt {
  /** Undefined with MQTT_URL. */
  broker: EmbeddedBroker | undefined;
  connection: MqttConnection & { protocolVersion?: 4 | 5 };
  client: MqttClient;
  /** The stack's one session with the broker at MQTT_URL; undefined with the embedded broker. */
  external: ExternalSubscription | undefined;
  /** What every MEC's bridge reads: one shared, decoded copy of each message. */
  source: InProcessSource;
  /** The broker's URL as a client on this machine uses it. */
  url: string;
}

export interface StackMqttOptions {
  config: Config;
  listenHost: string;
  access: StackAccess;
  /** How long to wait for an external MQTT_URL broker. */
  mqttTimeoutMs?: number;
}

/** Each part it starts is added to `shutdown`; throws a StartupError for what cannot start. */
export async function startStackMqtt(options: StackMqttOptions, shutdown: ShutdownSteps): Promise<StackMqtt> {
  const { config, access } = options;
  let broker: EmbeddedBroker | undefined;
  let connection: MqttConnection & { protocolVersion?: 4 | 5 };
  let client: MqttClient;
  try {
    if (config.MQTT_URL === undefined) {
      broker = await startEmbeddedBroker(
        config.MQTT_PORT,
        options.listenHost,
        componentLogger("broker"),
        access.broker,
      );
      const started = broker;
      shutdown.add("MQTT broker", () => started.close());
      connection = {
        url: broker.url,
        ...access.broker.credentials,
        ...(access.tls === undefined
          ? {}
          : { ca: Buffer.from(access.tls.cert), pinnedFingerprint256: access.tls.fingerprint256 }),
      };
    } else {
      // The bridges' sessions speak MQTT_PROTOCOL_VERSION; the stack's own client checks first
      // that the broker does, or a broker without MQTT 5 would look up and process nothing.
      connection = {
        ...mqttConnection(config.MQTT_URL, config),
        protocolVersion: config.MQTT_PROTOCOL_VERSION,
      };
    }
    client = await connectMqtt(connection, {
      clientId: `vvcu-stack-${process.pid}`,
      timeoutMs: options.mqttTimeoutMs ?? 5_000,
      variable: broker ? "MQTT_PORT" : "MQTT_URL",
      ...(connection.protocolVersion === undefined ? {} : { protocolVersion: connection.protocolVersion }),
    });
  } catch (error) {
    throw error instanceof StartupError ? error : new StartupError((error as Error).message);
  }
  const connected = client;
  shutdown.add("MQTT client", () => connected.endAsync());

  // The bridges read one shared subscription, decoded on its own thread: inside the embedded
  // broker, or the stack's one session with the broker at MQTT_URL.
  let external: ExternalSubscription | undefined;
  if (!broker) {
    try {
      external = await startExternalSubscription({
        connection,
        clientId: `vvcu-embedded-${process.pid}-subscriber`,
        topics: DEFAULT_INPUT_TOPICS,
        connectTimeoutMs: options.mqttTimeoutMs ?? 5_000,
        logger: componentLogger("mqtt-subscriber"),
      });
    } catch (error) {
      throw new StartupError(`cannot subscribe at MQTT_URL: ${(error as Error).message}`);
    }
    const started = external;
    shutdown.add("MQTT subscriber", () => started.close());
  }
  const source = (broker ?? (external as ExternalSubscription)).source;
  return { broker, connection, client, external, source, url: broker ? broker.url : connection.url };
}

/**
 * Where the dashboard proxy publishes: VVCU_DASHBOARD_MQTT_URL, else the stack's broker (through
 * the thread that holds the stack's subscription).
 */
export async function dashboardPublisher(
  options: StackMqttOptions,
  mqtt: StackMqtt,
): Promise<DashboardPublisher> {
  const { config } = options;
  const dashboardUrl = config.VVCU_DASHBOARD_MQTT_URL;
  if (dashboardUrl === undefined) return (mqtt.broker ?? (mqtt.external as ExternalSubscription)).publisher;
  try {
    const proxyClient = await connectMqtt(mqttConnection(dashboardUrl, config), {
      clientId: `vvcu-proxy-${process.pid}`,
      timeoutMs: options.mqttTimeoutMs ?? 5_000,
      variable: "VVCU_DASHBOARD_MQTT_URL",
    });
    return new MqttDashboardPublisher(proxyClient);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}
