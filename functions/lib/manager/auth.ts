/** The API token: from VVCU_API_TOKEN or a mounted file, compared in constant time. */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Config } from "../config.ts";

/** The token mutating calls need, or undefined when the API is open. */
export function apiTokenFromConfig(
  config: Pick<Config, "VVCU_API_TOKEN" | "VVCU_API_TOKEN_FILE">,
): string | undefined {
  if (config.VVCU_API_TOKEN !== undefined) return config.VVCU_API_TOKEN;
  if (config.VVCU_API_TOKEN_FILE === undefined) return undefined;
  let token: string;
  try {
    token = readFileSync(config.VVCU_API_TOKEN_FILE, "utf8").trim();
  } catch (error) {
    throw new Error(
      `VVCU_API_TOKEN_FILE: cannot read ${config.VVCU_API_TOKEN_FILE}: ${(error as Error).message}`,
    );
  }
  if (token === "") throw new Error(`VVCU_API_TOKEN_FILE: ${config.VVCU_API_TOKEN_FILE} is empty`);
  return token;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Whether an Authorization header carries the bearer token (always true when no token is set). */
export function authorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (match === null) return false;
  // Hashing first makes the comparison constant-time whatever the lengths.
  return timingSafeEqual(digest(match[1] as string), digest(token));
}
