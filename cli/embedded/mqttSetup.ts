/**
 * The MQTT side of `vvcu start`: the embedded broker (Aedes on its own thread) unless MQTT_URL
 * names one, the stack's own client, the thread that decodes ahead of the bridges, and the
 * broker the dashboard proxy publishes to.
 */
import type { MqttClient } from "mqtt";
import type { Config } from "../../functions/lib/config.ts";
import { componentLogger } from "../../functions/lib/log.ts";
import { MqttDashboardPublisher } from "../../functions/lib/proxy/mqttPublisher.ts";
import type { DashboardPublisher } from "../../functions/lib/proxy/publisher.ts";
import { connectMqtt, type MqttConnection, mqttConnection } from "../../functions/lib/runtime/mqttConnect.ts";
import type { StackAccess } from "./access.ts";
import { type EmbeddedBroker, startEmbeddedBroker } from "./broker/brokerThread.ts";
import { DecoderThread } from "./decoder/decoderThread.ts";
import type { ShutdownSteps } from "./lifecycle.ts";
import { StartupError } from "./startupErrors.ts";

export interface StackMqtt {
  /** Undefined with MQTT_URL. */
  broker: EmbeddedBroker | undefined;
  connection: MqttConnection & { protocolVersion?: 4 | 5 };
  client: MqttClient;
  /** Decodes ahead of the bridges when they have MQTT sessions of their own (MQTT_URL). */
  decoder: DecoderThread | undefined;
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

  // The embedded broker's thread decodes the messages ahead of the bridges, which subscribe inside
  // it and share each message. With MQTT_URL each bridge has its own session, and a thread of
  // its own decodes ahead of them.
  let decoder: DecoderThread | undefined;
  if (!broker) {
    try {
      decoder = await DecoderThread.start(componentLogger("decoder"));
    } catch (error) {
      throw new StartupError(`cannot start the decoder thread: ${(error as Error).message}`);
    }
    const started = decoder;
    shutdown.add("decoder thread", () => started.close());
  }
  return { broker, connection, client, decoder, url: broker ? broker.url : connection.url };
}

/**
 * Where the dashboard proxy publishes: VVCU_DASHBOARD_MQTT_URL, else the stack's broker (in
 * process when that is the embedded one).
 */
export async function dashboardPublisher(
  options: StackMqttOptions,
  mqtt: StackMqtt,
): Promise<DashboardPublisher> {
  const { config } = options;
  const dashboardUrl = config.VVCU_DASHBOARD_MQTT_URL;
  if (dashboardUrl === undefined && mqtt.broker) return mqtt.broker.publisher;
  try {
    const proxyClient = await connectMqtt(
      dashboardUrl === undefined ? mqtt.connection : mqttConnection(dashboardUrl, config),
      {
        clientId: `vvcu-proxy-${process.pid}`,
        timeoutMs: options.mqttTimeoutMs ?? 5_000,
        variable: dashboardUrl === undefined ? "MQTT_URL" : "VVCU_DASHBOARD_MQTT_URL",
      },
    );
    return new MqttDashboardPublisher(proxyClient);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}
