/**
 * Who may use the embedded stack, worked out from the configuration before anything listens:
 * the broker's credentials, the certificate, and whether the listen address is allowed.
 */
import type { Config } from "../../functions/lib/config.ts";
import { mqttConnection } from "../../functions/lib/runtime/mqttConnect.ts";
import type { BrokerAccess } from "./broker/brokerThread.ts";
import { listenVerdict } from "./listen.ts";
import { StartupError } from "./startupErrors.ts";
import { type ServerTls, serverTlsFromConfig } from "./tls.ts";

export interface StackAccess {
  tls: ServerTls | undefined;
  /** What the embedded broker requires (nothing with MQTT_URL: no embedded broker). */
  broker: BrokerAccess;
  /** To be logged and shown: the stack runs, but not as safely as it could. */
  warnings: string[];
}

export function stackAccess(config: Config, listenHost: string, apiToken: string | undefined): StackAccess {
  const tls = serverTlsFromConfig(config);
  const embeddedBroker = config.MQTT_URL === undefined;
  let credentials: BrokerAccess["credentials"];
  if (embeddedBroker) {
    let own: { username?: string; password?: string };
    try {
      own = mqttConnection("", config);
    } catch (error) {
      throw new StartupError((error as Error).message);
    }
    if ((own.username === undefined) !== (own.password === undefined)) {
      throw new StartupError(
        "the embedded broker needs both MQTT_USERNAME and MQTT_PASSWORD (or MQTT_PASSWORD_FILE), or neither",
      );
    }
    if (own.username !== undefined && own.password !== undefined) {
      credentials = { username: own.username, password: own.password };
    }
  }
  const verdict = listenVerdict({
    host: listenHost,
    embeddedBroker,
    brokerCredentials: credentials !== undefined,
    apiToken: apiToken !== undefined,
    tls: tls !== undefined,
    insecureOptOut: config.VVCU_INSECURE_LISTEN,
  });
  if ("refuse" in verdict) throw new StartupError(verdict.refuse);
  return {
    tls,
    broker: {
      ...(credentials === undefined ? {} : { credentials }),
      ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
    },
    warnings: verdict.warnings,
  };
}
