import { pino } from "pino";

export type Logger = pino.Logger;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Where the logs go: stdout (the default, for containers), or VVCU_LOG_FILE: `stderr` or a file
 * path (`vvcu start` keeps stdout for its live summary).
 */
function logDestination(target: string | undefined): pino.DestinationStream | undefined {
  if (target === undefined || target === "" || target === "stdout") return undefined;
  if (target === "stderr") return pino.destination({ dest: 2, sync: true });
  return pino.destination({ dest: target, mkdir: true, sync: true });
}

/**
 * The level LOG_LEVEL names (as config.ts accepts it), or `info` with the reason when it names
 * none: pino would throw at import, before config.ts could say which variable is wrong.
 */
export function logLevelFrom(value: string | undefined): { level: LogLevel; problem?: string } {
  if (value === undefined || value === "") return { level: "info" };
  if ((LOG_LEVELS as readonly string[]).includes(value)) return { level: value as LogLevel };
  return {
    level: "info",
    problem: `LOG_LEVEL '${value}' is not one of ${LOG_LEVELS.join(", ")}; using info`,
  };
}

/**
 * A URL without its user info (mqtt://user:secret@host becomes mqtt://***@host); other values as
 * they are. For the logs and for whatever else is printed (banners, start-up errors).
 */
export function redactUrl(url: string): string;
export function redactUrl(url: unknown): unknown;
export function redactUrl(url: unknown): unknown {
  if (typeof url !== "string") return url;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, "$1***@");
}

interface HttpClientError {
  isAxiosError: true;
  code?: string;
  config?: { method?: string; url?: string; baseURL?: string };
  response?: { status?: number };
}

/**
 * Errors as pino writes them, except an HTTP client's (axios) error: that one holds the request's
 * headers (bearer tokens), body (credentials, payloads) and sockets; only what explains it is kept.
 */
export function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error);
  if (typeof error !== "object" || error === null || !(error as Partial<HttpClientError>).isAxiosError)
    return serialized;
  const { code, config, response } = error as HttpClientError;
  return {
    type: serialized.type,
    message: serialized.message,
    stack: serialized.stack,
    code,
    status: response?.status,
    method: config?.method,
    url: redactUrl(config?.url),
    baseURL: redactUrl(config?.baseURL),
  };
}

const configuredLevel = logLevelFrom(process.env.LOG_LEVEL);

/** The root logger: JSON lines, level from LOG_LEVEL. Components take a child. */
export const rootLogger: Logger = pino(
  {
    level: configuredLevel.level,
    base: { service: "vvcu" },
    // Secrets never reach the log, whatever a caller passes.
    redact: [
      "password",
      "token",
      "authorization",
      "apiToken",
      "*.password",
      "*.token",
      "*.authorization",
      "*.apiToken",
      "headers.cookie",
    ],
    // Broker and API URLs may carry credentials (mqtt://user:password@host).
    serializers: { url: redactUrl, err: serializeError },
  },
  logDestination(process.env.VVCU_LOG_FILE),
);
if (configuredLevel.problem !== undefined) rootLogger.warn(configuredLevel.problem);

export function componentLogger(component: string, fields: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...fields });
}

/** Logs at most once per interval per key: for reconnect loops and rejected-input floods. */
export function rateLimited(intervalMs: number) {
  const last = new Map<string, number>();
  return (key: string, log: () => void): void => {
    const now = Date.now();
    const previous = last.get(key);
    if (previous !== undefined && now - previous < intervalMs) return;
    if (last.size > 10_000) last.clear();
    last.set(key, now);
    log();
  };
}
