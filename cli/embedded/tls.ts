/**
 * The certificate of `vvcu start`'s broker (mqtts) and API (https): VVCU_TLS_CERT_FILE and
 * VVCU_TLS_KEY_FILE, both or neither, checked to belong together before anything listens.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Config } from "../../functions/lib/config.ts";
import { StartupError } from "./startupErrors.ts";

export interface ServerTls {
  /** PEM, as read. */
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the leaf certificate: the stack's own client pins it. */
  fingerprint256: string;
}

function readPem(file: string, variable: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new StartupError(`${variable}: cannot read ${file}: ${(error as Error).message}`);
  }
}

export function serverTlsFromConfig(
  config: Pick<Config, "VVCU_TLS_CERT_FILE" | "VVCU_TLS_KEY_FILE">,
): ServerTls | undefined {
  const { VVCU_TLS_CERT_FILE: certFile, VVCU_TLS_KEY_FILE: keyFile } = config;
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new StartupError("set both VVCU_TLS_CERT_FILE and VVCU_TLS_KEY_FILE, or neither");
  }
  const cert = readPem(certFile, "VVCU_TLS_CERT_FILE");
  const key = readPem(keyFile, "VVCU_TLS_KEY_FILE");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (error) {
    throw new StartupError(
      `VVCU_TLS_CERT_FILE: ${certFile} is not a PEM certificate: ${(error as Error).message}`,
    );
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      throw new Error("it is not the key of the certificate");
    }
  } catch (error) {
    throw new StartupError(`VVCU_TLS_KEY_FILE: ${keyFile}: ${(error as Error).message}`);
  }
  return { cert, key, fingerprint256: leaf.fingerprint256 };
}
