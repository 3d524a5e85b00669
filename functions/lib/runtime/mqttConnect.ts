/**
 * MQTT client connections for the embedded stack and the simulator: credentials and CA from the
 * environment (or mounted files), TLS verification on, and a connect that fails within a timeout
 * with a sentence naming the broker and the variable to fix.
 */
import { readFileSync } from "node:fs";
import type { PeerCertificate } from "node:tls";
import mqtt, { type MqttClient } from "mqtt";
import type { Config } from "../config.ts";
import { redactUrl } from "../log.ts";

export interface MqttConnection {
  url: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  /**
   * SHA-256 fingerprint of the one certificate to accept, whatever host it names: the embedded
   * stack's own client, reaching its broker on loopback with the broker's certificate as CA.
   */
  pinnedFingerprint256?: string;
}

function readSecretFile(file: string, variable: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new Error(`cannot read ${variable} ${file}: ${(error as Error).message}`);
  }
}

/** Credentials and CA of `url` from MQTT_USERNAME, MQTT_PASSWORD(_FILE) and MQTT_CA_FILE. */
export function mqttConnection(url: string, config: Config): MqttConnection {
  const connection: MqttConnection = { url };
  if (config.MQTT_USERNAME !== undefined) connection.username = config.MQTT_USERNAME;
  const password =
    config.MQTT_PASSWORD ??
    (config.MQTT_PASSWORD_FILE === undefined
      ? undefined
      : readSecretFile(config.MQTT_PASSWORD_FILE, "MQTT_PASSWORD_FILE"));
  if (password !== undefined) connection.password = password;
  if (config.MQTT_CA_FILE !== undefined) {
    try {
      connection.ca = readFileSync(config.MQTT_CA_FILE);
    } catch (error) {
      throw new Error(`cannot read MQTT_CA_FILE ${config.MQTT_CA_FILE}: ${(error as Error).message}`);
    }
  }
  return connection;
}

function pinnedIdentity(fingerprint256: string) {
  return (_host: string, certificate: PeerCertificate): Error | undefined =>
    certificate.fingerprint256 === fingerprint256
      ? undefined
      : new Error(`the broker's certificate is not ${fingerprint256}`);
}

export interface ConnectOptions {
  clientId: string;
  timeoutMs?: number;
  /** Which setting named the broker, for the error message. */
  variable?: string;
  /** Default 4 (MQTT 3.1.1, which every broker speaks); 5 checks that the broker speaks MQTT 5. */
  protocolVersion?: 4 | 5;
}

/** CONNACK return code of MQTT 3.1.1 brokers for a protocol level they do not speak. */
const UNACCEPTABLE_PROTOCOL_VERSION = 1;

/** Connects, or rejects after `timeoutMs` (or at once if the broker refuses the protocol) with a clear reason. */
export async function connectMqtt(connection: MqttConnection, options: ConnectOptions): Promise<MqttClient> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const protocolVersion = options.protocolVersion ?? 4;
  const client = mqtt.connect(connection.url, {
    clientId: options.clientId,
    protocolVersion,
    clean: true,
    connectTimeout: timeoutMs,
    reconnectPeriod: 1_000,
    rejectUnauthorized: true,
    ...(connection.username === undefined ? {} : { username: connection.username }),
    ...(connection.password === undefined ? {} : { password: connection.password }),
    ...(connection.ca === undefined ? {} : { ca: connection.ca }),
    ...(connection.pinnedFingerprint256 === undefined
      ? {}
      : { checkServerIdentity: pinnedIdentity(connection.pinnedFingerprint256) }),
  });
  let lastError: Error | undefined;
  let refuseProtocol: (error: Error) => void = () => {};
  const onError = (error: Error) => {
    lastError = error;
    if (
      (error as Error & { code?: number }).code === UNACCEPTABLE_PROTOCOL_VERSION &&
      protocolVersion === 5
    ) {
      refuseProtocol(
        new Error(
          `the MQTT broker at ${connection.url} does not speak MQTT 5 (it answered: ${error.message}); vvcu's bridges use MQTT 5 sessions: use a broker with MQTT 5, or set MQTT_PROTOCOL_VERSION=4`,
        ),
      );
    }
  };
  client.on("error", onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const cause = lastError ? `: ${lastError.message}` : "";
        const variable = options.variable ? ` (check ${options.variable})` : "";
        reject(
          new Error(
            `cannot reach the MQTT broker at ${redactUrl(connection.url)} within ${timeoutMs} ms${cause}${variable}`,
          ),
        );
      }, timeoutMs);
      refuseProtocol = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    await client.endAsync(true);
    throw error;
  }
  client.off("error", onError);
  // After the first connect, mqtt.js reconnects by itself; errors are reported, never thrown.
  client.on("error", () => {});
  return client;
}
