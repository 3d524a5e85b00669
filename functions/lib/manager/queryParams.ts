/**
 * The query parameters of the read API, written once: the handler parses with these schemas and
 * the OpenAPI document shows them, with their rules and examples. A bad parameter is a 400 that
 * names it and the rule it broke; an unknown one is refused, so a typo never widens an answer.
 */
import { z } from "zod";
import type { BBox } from "../geo/types.ts";
import { TWIN_LIVENESS, TWIN_STATUSES, TwinSchema } from "../model/twin.ts";
import { HttpError } from "../runtime/http.ts";
import {
  type Circle,
  decodeCursor,
  queryFingerprint,
  type TwinField,
  type TwinQuery,
} from "../twin/state/twinQuery.ts";

/** A near query's radius is at most this many metres (a city; wider areas are a bbox). */
export const MAX_RADIUS_M = 100_000;
export const MAX_LIMIT = 1_000;
export const TWIN_FIELDS = Object.keys(TwinSchema.shape) as TwinField[];

type Context = z.core.$RefinementCtx<string>;

function fail(ctx: Context, message: string): never {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER as never;
}

/** Comma-separated finite numbers, exactly `count` of them; undefined (and an issue) when not. */
function numbers(text: string, count: number, shape: string, ctx: Context): number[] | undefined {
  const parts = text.split(",");
  const values = parts.map((part) => (part.trim() === "" ? Number.NaN : Number(part)));
  if (parts.length !== count || values.some((value) => !Number.isFinite(value))) {
    ctx.addIssue({ code: "custom", message: `must be ${count} comma-separated numbers: ${shape}` });
    return undefined;
  }
  return values;
}

const latOk = (lat: number) => lat >= -90 && lat <= 90;
const lonOk = (lon: number) => lon >= -180 && lon <= 180;

const bbox = z.string().transform((text, ctx): BBox => {
  const values = numbers(text, 4, "minLon,minLat,maxLon,maxLat", ctx);
  if (values === undefined) return z.NEVER;
  const [west, south, east, north] = values as [number, number, number, number];
  if (!lonOk(west) || !lonOk(east)) return fail(ctx, "longitudes must be within -180..180");
  if (!latOk(south) || !latOk(north)) return fail(ctx, "latitudes must be within -90..90");
  if (south > north) return fail(ctx, "minLat must not exceed maxLat");
  if (west > east)
    return fail(ctx, "minLon must not exceed maxLon (a box across the antimeridian is two queries)");
  return { west, south, east, north };
});

const point = z.string().transform((text, ctx) => {
  const values = numbers(text, 2, "lat,lon", ctx);
  if (values === undefined) return z.NEVER;
  const [lat, lon] = values as [number, number];
  if (!latOk(lat)) return fail(ctx, "lat must be within -90..90");
  if (!lonOk(lon)) return fail(ctx, "lon must be within -180..180");
  return { lat, lon };
});

const radius = z.string().transform((text, ctx) => {
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!(value > 0 && value <= MAX_RADIUS_M))
    return fail(ctx, `must be metres, more than 0 and at most ${MAX_RADIUS_M}`);
  return value;
});

const names = z.string().transform((text, ctx) => {
  const values = text.split(",").map((part) => part.trim());
  if (values.some((value) => value === "")) return fail(ctx, "must be comma-separated names, none empty");
  return values;
});

const instant = z.string().transform((text, ctx) => {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) {
    return fail(ctx, "must be an ISO 8601 date-time, e.g. 2026-12-03T10:00:00Z");
  }
  return ms;
});

function fieldList<F extends string>(known: readonly F[]) {
  return z.string().transform((text, ctx): F[] => {
    const values = text.split(",").map((part) => part.trim());
    const unknown = values.filter((value) => !(known as readonly string[]).includes(value));
    if (unknown.length > 0)
      return fail(ctx, `unknown field ${unknown.join(", ")}; known: ${known.join(", ")}`);
    return [...new Set(values)] as F[];
  });
}

const limit = z.string().transform((text, ctx) => {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > MAX_LIMIT) {
    return fail(ctx, `must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return value;
});

/** `bbox`, `near` and `radius`: the area of twins and of hazards. */
const areaParams = {
  bbox: bbox.optional().meta({
    description: "Only what lies in this box: minLon,minLat,maxLon,maxLat (degrees)",
    example: "-8.66,40.62,-8.64,40.64",
  }),
  near: point.optional().meta({
    description: "Only what lies within `radius` of this point: lat,lon (degrees)",
    example: "40.6300,-8.6530",
  }),
  radius: radius.optional().meta({
    description: `Metres around \`near\` (required with it; at most ${MAX_RADIUS_M})`,
    example: "300",
  }),
};

export const TwinQueryParamsSchema = z
  .object({
    ...areaParams,
    mec: names
      .optional()
      .meta({ description: "Only twins hosted by these MECs (comma-separated)", example: "mec-a" }),
    stationType: names
      .optional()
      .meta({ description: "Only these ETSI station types (comma-separated)", example: "passengerCar,bus" }),
    liveness: z
      .enum(TWIN_LIVENESS)
      .optional()
      .meta({ description: "Only live or only stale twins", example: "live" }),
    status: z
      .enum(TWIN_STATUSES)
      .optional()
      .meta({ description: "Only stable or only migrating twins", example: "stable" }),
    updatedSince: instant.optional().meta({
      description: "Only twins seen at or after this ISO 8601 time",
      example: "2026-12-03T10:00:00Z",
    }),
    fields: fieldList(TWIN_FIELDS).optional().meta({
      description: "Only these fields of each twin (id always)",
      example: "id,position,heading,mec",
    }),
    order: z
      .enum(["id", "distance"])
      .optional()
      .meta({ description: "id (default), or distance from `near` (its default)", example: "distance" }),
    limit: limit.optional().meta({
      description: `At most this many twins per page (1..${MAX_LIMIT}); default: all`,
      example: "100",
    }),
    cursor: z
      .string()
      .optional()
      .meta({ description: "Where the previous page ended: its X-Next-Cursor header, as it is" }),
  })
  .strict();

export const HazardQueryParamsSchema = z.object(areaParams).strict();

export const HISTORY_FIELDS = ["position", "speed", "heading", "messageRates", "objects"] as const;
export type HistoryField = (typeof HISTORY_FIELDS)[number];

export const HistoryQueryParamsSchema = z
  .object({
    since: instant.optional().meta({
      description: "From this ISO 8601 time (default: the oldest kept)",
      example: "2026-12-03T10:00:00Z",
    }),
    until: instant
      .optional()
      .meta({ description: "Up to this ISO 8601 time (default: now)", example: "2026-12-03T10:05:00Z" }),
    fields: fieldList(HISTORY_FIELDS)
      .optional()
      .meta({ description: "Only these parts of each sample (time always)", example: "position,speed" }),
  })
  .strict();

/** Parsed parameters, or a 400 naming the first bad one and its rule. */
export function parseParams<S extends z.ZodType>(schema: S, params: URLSearchParams): z.output<S> {
  const raw: Record<string, string> = {};
  for (const [name, value] of params) {
    if (name in raw) throw new HttpError(400, `query parameter "${name}": given more than once`);
    raw[name] = value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0] as z.core.$ZodIssue;
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys((schema as unknown as z.ZodObject).shape).join(", ");
    throw new HttpError(400, `unknown query parameter "${issue.keys[0]}"; known: ${known}`);
  }
  throw new HttpError(400, `query parameter "${String(issue.path[0])}": ${issue.message}`);
}

/** The area of `bbox`, `near` and `radius`, with their joint rule: near and radius go together. */
export function areaOf(params: {
  bbox?: BBox | undefined;
  near?: { lat: number; lon: number } | undefined;
  radius?: number | undefined;
}): {
  bbox?: BBox;
  near?: Circle;
} {
  if (params.near !== undefined && params.radius === undefined) {
    throw new HttpError(400, 'query parameter "radius": required with near');
  }
  if (params.radius !== undefined && params.near === undefined) {
    throw new HttpError(400, 'query parameter "near": required with radius');
  }
  const area: { bbox?: BBox; near?: Circle } = {};
  if (params.bbox) area.bbox = params.bbox;
  if (params.near && params.radius !== undefined) area.near = { ...params.near, radiusM: params.radius };
  return area;
}

/** The twin query of `GET /api/v1/twins`, or a 400. */
export function twinQueryOf(params: URLSearchParams): TwinQuery {
  const parsed = parseParams(TwinQueryParamsSchema, params);
  const area = areaOf(parsed);
  if (parsed.order === "distance" && !area.near) {
    throw new HttpError(400, 'query parameter "order": distance needs near and radius');
  }
  const query: TwinQuery = { ...area, order: parsed.order ?? (area.near ? "distance" : "id") };
  if (parsed.mec) query.mec = parsed.mec;
  if (parsed.stationType) query.stationType = parsed.stationType;
  if (parsed.liveness) query.liveness = parsed.liveness;
  if (parsed.status) query.status = parsed.status;
  if (parsed.updatedSince !== undefined) query.updatedSinceMs = parsed.updatedSince;
  if (parsed.fields) query.fields = parsed.fields;
  if (parsed.limit !== undefined) query.limit = parsed.limit;
  if (parsed.cursor !== undefined) {
    const cursor = decodeCursor(parsed.cursor);
    if (typeof cursor === "string") throw new HttpError(400, `query parameter "cursor": ${cursor}`);
    if (cursor.query !== queryFingerprint(query)) {
      throw new HttpError(
        400,
        'query parameter "cursor": belongs to another query (filters and order must stay the same)',
      );
    }
    query.after = cursor;
  }
  return query;
}
