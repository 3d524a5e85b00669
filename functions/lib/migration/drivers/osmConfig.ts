/** The OSM driver's connection settings from the environment (config.ts), secrets from files. */
import { readFileSync } from "node:fs";
import type { Config } from "../../config.ts";
import type { NbiClientOptions } from "./osmNbi.ts";

type OsmConfig = Pick<
  Config,
  "OSM_NBI_URL" | "OSM_USERNAME" | "OSM_PASSWORD" | "OSM_PASSWORD_FILE" | "OSM_PROJECT" | "OSM_CA_FILE"
>;

function readSecret(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new Error(
      `cannot read ${what} from ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** Throws one error naming everything missing, so a misconfigured driver fails at start. */
export function nbiClientOptionsFromConfig(config: OsmConfig): NbiClientOptions {
  const missing = [
    config.OSM_NBI_URL ? undefined : "OSM_NBI_URL",
    config.OSM_USERNAME ? undefined : "OSM_USERNAME",
    config.OSM_PASSWORD || config.OSM_PASSWORD_FILE ? undefined : "OSM_PASSWORD or OSM_PASSWORD_FILE",
  ].filter((name): name is string => name !== undefined);
  if (missing.length > 0) throw new Error(`the osm driver needs ${missing.join(", ")}`);
  const url = config.OSM_NBI_URL as string;
  if (!/^https?:\/\//.test(url)) throw new Error(`OSM_NBI_URL must be an http(s) URL, got "${url}"`);
  return {
    url,
    username: config.OSM_USERNAME as string,
    password: config.OSM_PASSWORD_FILE
      ? readSecret(config.OSM_PASSWORD_FILE, "OSM_PASSWORD_FILE")
      : (config.OSM_PASSWORD as string),
    project: config.OSM_PROJECT,
    ...(config.OSM_CA_FILE ? { ca: readSecret(config.OSM_CA_FILE, "OSM_CA_FILE") } : {}),
  };
}
