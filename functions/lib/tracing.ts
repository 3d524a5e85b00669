/**
 * Trace context in the logs. The bridge gives every C-ITS event a W3C `traceparent` (the
 * CloudEvents distributed-tracing extension) and each function passes it on to what it emits;
 * these helpers turn an event into the log fields that let one CAM, or one migration, be
 * followed through the JSON logs: `traceId`, `stationId` and `migrationId`.
 */
import { randomBytes } from "node:crypto";
import { EXTENSIONS } from "./events.ts";

/** version-traceid-parentid-flags, lower-case hex (W3C Trace Context, level 1). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

/** The trace id of a valid traceparent, or undefined for anything else (never throws). */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== "string") return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (match === null) return undefined;
  const [, version, traceId, parentId] = match as unknown as [string, string, string, string];
  // Version ff is forbidden; all-zero ids mean "no trace".
  if (version === "ff" || ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return traceId;
}

/** A fresh sampled traceparent, for work that starts without one (a manual migration over the API). */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}

/** The traceparent to pass on: the one given when it is valid, else a new one. */
export function traceparentOrNew(given: unknown): string {
  return typeof given === "string" && traceIdOf(given) !== undefined ? given : newTraceparent();
}

export interface LogContext {
  stationId?: string;
  migrationId?: string;
  traceId?: string;
}

/** The part of a CloudEvent the log fields come from (extensions are top-level attributes). */
export interface TracedEvent {
  subject?: string;
  [attribute: string]: unknown;
}

/**
 * The log fields of an event: its subject is the station (C-ITS, twin.* and migration.* events
 * all name the station), the migration id and the trace id come from the extensions.
 */
export function eventLogContext(event: TracedEvent): LogContext {
  const context: LogContext = {};
  if (typeof event.subject === "string" && event.subject !== "") context.stationId = event.subject;
  const migrationId = event[EXTENSIONS.migration];
  if (typeof migrationId === "string" && migrationId !== "") context.migrationId = migrationId;
  const traceId = traceIdOf(event[EXTENSIONS.traceparent]);
  if (traceId !== undefined) context.traceId = traceId;
  return context;
}

/** The log fields of a migration record and the traceparent it runs under. */
export function migrationLogContext(
  migration: { id: string; twin: string },
  traceparent: string | undefined,
): LogContext {
  const traceId = traceIdOf(traceparent);
  return {
    stationId: migration.twin,
    migrationId: migration.id,
    ...(traceId === undefined ? {} : { traceId }),
  };
}
