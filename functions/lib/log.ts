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

/** A URL without its user info (mqtt://user:secret@host becomes mqtt://***@host); other values as they are. */
export function redactUrl(url: unknown): unknown {
  if (typeof url !== "string") return url;
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, "$1***@");
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
    serializers: { url: redactUrl },
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
