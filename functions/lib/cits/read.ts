/**
 * Hand-written readers for parsed JSON: the decoder's hot path. They check types without
 * allocating, and only on a wrong type do they build the reason with zod (see fieldError.ts),
 * so a good message costs a few property reads and a bad one gets a prettified zod issue.
 *
 * Absent and `null` both read as "not there" (undefined).
 */
import { z } from "zod";
import type { RejectionCode } from "./types.ts";

export type JsonObject = Record<string, unknown>;

/** Thrown inside the decoder only; decode() turns it into a typed rejection and never lets it escape. */
export class DecodeFailure extends Error {
  constructor(
    readonly code: RejectionCode,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function fail(code: RejectionCode, reason: string): never {
  throw new DecodeFailure(code, reason);
}

/**
 * Why reading one part of a message failed, so that the part alone is dropped; the decoder's own
 * failures carry their reason, a missed shape its error message.
 */
export function failureReason(error: unknown): string {
  if (error instanceof DecodeFailure) return error.reason;
  return error instanceof Error ? error.message : String(error);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const NumberSchema = z.number();
const ObjectSchema = z.looseObject({});
const ArraySchema = z.array(z.unknown());
const StationIdSchema = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z.string().trim().min(1),
]);

/** A dotted path ("fields.cam.camParameters") as zod path segments, indices as numbers. */
function pathSegments(path: string): (string | number)[] {
  return path.split(".").map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** The zod issue for `value` at `path`, prettified on one line, as an invalid-field failure. */
export function invalidField(path: string, value: unknown, schema: z.ZodType, fallback: string): never {
  const result = schema.safeParse(value);
  if (result.success) fail("invalid-field", `${fallback} (at ${path})`);
  const prefix = pathSegments(path);
  const issues = result.error.issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }));
  const pretty = z.prettifyError(new z.ZodError(issues)).replace(/\s*\n\s*/g, " ");
  fail("invalid-field", pretty);
}

const join = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`);

/** parent[key] as an object, or undefined when absent. */
export function objectAt(parent: JsonObject | undefined, key: string, path: string): JsonObject | undefined {
  if (parent === undefined) return undefined;
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  return invalidField(join(path, key), value, ObjectSchema, "expected an object");
}

/** parent[key] as an array, or undefined when absent. */
export function arrayAt(parent: JsonObject | undefined, key: string, path: string): unknown[] | undefined {
  if (parent === undefined) return undefined;
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  return invalidField(join(path, key), value, ArraySchema, "expected an array");
}

/** parent[key] as a finite number, or undefined when absent. */
export function numberAt(parent: JsonObject | undefined, key: string, path: string): number | undefined {
  if (parent === undefined) return undefined;
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  return invalidField(join(path, key), value, NumberSchema, "expected a finite number");
}

/**
 * A scalar that ETSI JSON writes either bare (`"vehicleWidth": 62`) or wrapped with its
 * confidence (`"speed": {"speedValue": 869, "speedConfidence": 127}` or `{"value": ..}`).
 * `valueKey` is the wrapped name; "value" is always accepted too.
 */
export function scalarAt(
  parent: JsonObject | undefined,
  key: string,
  path: string,
  valueKey: string,
): number | undefined {
  if (parent === undefined) return undefined;
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (isObject(value)) {
    const inner = value[valueKey] !== undefined ? valueKey : "value";
    return numberAt(value, inner, join(path, key));
  }
  return invalidField(join(path, key), value, NumberSchema, "expected a number or an object with its value");
}

/** A station id as a string: a non-negative integer or a non-empty string. */
export function stationIdFrom(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  return invalidField(path, value, StationIdSchema, "expected a station id");
}

/** The first key of `parent` that is present (not undefined or null). */
export function firstPresent(parent: JsonObject, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = parent[key];
    if (value !== undefined && value !== null) return key;
  }
  return undefined;
}

export { join as joinPath };
