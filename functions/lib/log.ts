import { pino } from "pino";

export type Logger = pino.Logger;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Where the logs go: stdout (the default, for containers), or VVCU_LOG_FILE: `stderr` or a file
 * path (`vvcu start` keeps stdout for its live summary).
 */
function logDestination(target: string | undefined): pino.DestinationStream | undefined {
  if (target === undefined || target === "" || target === "stdout") return undefined;
  if (target === "stderr") return pino.destination({ dest: 2, sync: true });
  return pino.destination({ dest: target, mkdir: true, sync: true });
}

/** The root logger: JSON lines, level from LOG_LEVEL. Components take a child. */
export const rootLogger: Logger = pino(
  {
    level: process.env.LOG_LEVEL ?? "info",
    base: { service: "vvcu" },
    // Secrets never reach the log, whatever a caller passes.
    redact: ["password", "token", "authorization", "*.password", "*.token", "*.authorization"],
  },
  logDestination(process.env.VVCU_LOG_FILE),
);

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
