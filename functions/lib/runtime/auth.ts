/**
 * Who may use vvcu's HTTP servers: the API token (from VVCU_API_TOKEN or a mounted file, compared
 * in constant time) and the one access rule every server applies.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { isIPv4 } from "node:net";
import type { Config } from "../config.ts";

/** The token every path but the probes needs (accessRefusal), or undefined when the API is open. */
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

const digest = (value: string | Uint8Array) => createHash("sha256").update(value).digest();

/** Whether a secret given equals the one expected, in constant time whatever the lengths. */
export function sameSecret(given: string | Uint8Array, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether an Authorization header carries the bearer token (always true when no token is set). */
export function authorized(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (match === null) return false;
  return sameSecret(match[1] as string, token);
}

/**
 * The probes: Kubernetes, load balancers and `vvcu start`'s callers ask them without credentials,
 * and they tell nothing but "up". Every other path of every vvcu HTTP server that carries data
 * needs the token when one is set (API reads too: positions and trajectories are personal data;
 * /openapi.json, /metrics, the event stream).
 */
export const OPEN_PATHS: ReadonlySet<string> = new Set(["/health", "/ready"]);

/**
 * Pages that carry no data (the console at `/`, the API reference at `/docs`: HTML, scripts,
 * styles). A browser loads them before it can send a token, and they ask for it; everything they
 * show comes from API calls, which need the token.
 */
const PAGE_PATHS = /^\/$|^\/console\/[\w.-]+$|^\/docs(\/[\w.-]+)?$/;

/** Whether a request may go without the token: the probes, and GETs of the data-free pages. */
function openWithoutToken(method: string, path: string): boolean {
  return OPEN_PATHS.has(path) || (SAFE_METHODS.has(method) && PAGE_PATHS.test(path));
}

/** Methods that change nothing; any other one needs a JSON body from the same origin. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

export interface AccessRequest {
  method: string | undefined;
  /** The URL's path, without query and trailing slash. */
  path: string;
  headers: IncomingHttpHeaders;
}

export interface AccessOptions {
  /**
   * The server listens on loopback only: a request must name this machine in its Host header.
   * A page whose name an attacker points at 127.0.0.1 (DNS rebinding) is same-origin to the
   * browser, so Origin cannot tell; its Host header can.
   */
  loopbackOnly?: boolean;
}

export interface Refusal {
  status: 401 | 403 | 415;
  message: string;
  headers: Record<string, string>;
}

/**
 * The access model of vvcu's HTTP servers in one place: undefined when the request may go on,
 * else the answer. A state-changing request must also come from no web page but the server's
 * own (Origin, Sec-Fetch-Site), and a body must be `application/json`: a page anyone opens can send a
 * text/plain POST without asking, but not a JSON one, which needs a CORS preflight nobody grants.
 */
export function accessRefusal(
  request: AccessRequest,
  token: string | undefined,
  options: AccessOptions = {},
): Refusal | undefined {
  const host = headerValue(request.headers.host);
  if (options.loopbackOnly && !isLocalName(hostName(host ?? ""))) {
    return {
      status: 403,
      message: `Host ${(host ?? "(none)").slice(0, 100)} is not this machine`,
      headers: {},
    };
  }
  const method = request.method ?? "GET";
  if (
    !openWithoutToken(method, request.path) &&
    !authorized(headerValue(request.headers.authorization), token)
  ) {
    return {
      status: 401,
      message: "missing or wrong bearer token",
      headers: { "WWW-Authenticate": 'Bearer realm="vvcu"' },
    };
  }
  if (SAFE_METHODS.has(method)) return undefined;
  const foreign = foreignOrigin(request.headers);
  if (foreign !== undefined) {
    return { status: 403, message: `cross-origin request refused (${foreign})`, headers: {} };
  }
  const contentType = headerValue(request.headers["content-type"]);
  if (hasBody(request.headers) && !isJsonMediaType(contentType)) {
    return {
      status: 415,
      message: `body must be application/json, not ${contentType === undefined ? "unlabelled" : contentType.slice(0, 100)}`,
      headers: { "Accept-Post": "application/json" },
    };
  }
  return undefined;
}

/** Addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost") || bare === "::1") return true;
  const v4 = bare.startsWith("::ffff:") ? bare.slice("::ffff:".length) : bare;
  return isIPv4(v4) && v4.startsWith("127.");
}

/**
 * A name a request to a loopback-only server may carry: a loopback one, or the name Docker gives
 * this machine inside its containers (Prometheus of grafana/compose.yaml scrapes by it), which no
 * page on the web can take.
 */
function isLocalName(host: string): boolean {
  return isLoopback(host) || host.toLowerCase() === "host.docker.internal";
}

/** The name in a Host header, without its port. */
function hostName(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.replace(/:\d*$/, "");
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) > 0;
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/** Why a request comes from another site's page, or undefined when it does not. */
function foreignOrigin(headers: IncomingHttpHeaders): string | undefined {
  const site = headerValue(headers["sec-fetch-site"]);
  if (site !== undefined && site !== "same-origin" && site !== "none") return `Sec-Fetch-Site: ${site}`;
  const origin = headerValue(headers.origin);
  if (origin === undefined) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `Origin: ${origin.slice(0, 100)}`;
  }
  return host === headerValue(headers.host) ? undefined : `Origin: ${origin.slice(0, 100)}`;
}
