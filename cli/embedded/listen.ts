/**
 * Where the embedded stack listens, and whether it may: beyond this machine the broker and the
 * API are open to the network, so they need credentials and a token, or an explicit opt-out.
 */
import net from "node:net";
import { isLoopback } from "../../functions/lib/runtime/auth.ts";

export { isLoopback };

/** The host a client on this machine uses to reach a server listening on `host`, ready for a URL. */
export function connectableHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** How the listen address reads in the banner. */
export function describeListen(host: string): string {
  if (host === "0.0.0.0" || host === "::") return `${host} (every interface)`;
  return isLoopback(host) ? `${host} (this machine only)` : `${host} (reachable from the network)`;
}

export interface ListenSecurity {
  host: string;
  /** The embedded broker runs (no MQTT_URL), so its own credentials matter. */
  embeddedBroker: boolean;
  brokerCredentials: boolean;
  apiToken: boolean;
  tls: boolean;
  /** --insecure-listen / VVCU_INSECURE_LISTEN: open to the network on purpose. */
  insecureOptOut: boolean;
}

export type ListenVerdict = { refuse: string } | { warnings: string[] };

/** Whether the stack may listen on `host` as configured, and what to warn about if so. */
export function listenVerdict(security: ListenSecurity): ListenVerdict {
  if (isLoopback(security.host)) return { warnings: [] };
  const missing = [
    security.embeddedBroker && !security.brokerCredentials ? "MQTT_USERNAME and MQTT_PASSWORD" : undefined,
    security.apiToken ? undefined : "VVCU_API_TOKEN",
  ].filter((item): item is string => item !== undefined);
  const warnings: string[] = [];
  if (missing.length > 0) {
    const what = `--listen ${security.host} opens the ${security.embeddedBroker ? "MQTT broker and the " : ""}API to the network without ${missing.join(" or ")}`;
    if (!security.insecureOptOut) {
      return {
        refuse: `${what}: set ${missing.join(" and ")}, or accept an open stack with --insecure-listen (VVCU_INSECURE_LISTEN=true)`,
      };
    }
    warnings.push(
      `${what}: anyone who reaches this machine can read every twin, publish and move twins (--insecure-listen)`,
    );
  }
  if (!security.tls) {
    warnings.push(
      `--listen ${security.host} without a certificate (VVCU_TLS_CERT_FILE, VVCU_TLS_KEY_FILE): passwords, tokens and positions cross the network in clear`,
    );
  }
  return { warnings };
}
