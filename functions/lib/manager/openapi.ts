/**
 * The manager API's schemas, written once: the handler validates with them and the OpenAPI
 * document at /openapi.json is generated from them.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { TwinHistoryDataSchema } from "../model/history.ts";
import { FiguresSchema, TwinMarkerSchema } from "../model/liveFeed.ts";
import { MigrationSchema } from "../model/migration.ts";
import { TwinSchema } from "../model/twin.ts";
import { HazardReportSchema } from "../twin/state/hazardQuery.ts";
import { DISTANCE_FIELD } from "../twin/state/twinQuery.ts";
import { HazardQueryParamsSchema, HistoryQueryParamsSchema, TwinQueryParamsSchema } from "./queryParams.ts";

export const API_PREFIX = "/api/v1";

export const ErrorSchema = z.object({ error: z.string().describe("What went wrong") }).describe("Error");
export const MecSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    twins: z.array(z.string()).describe("Ids of the twins whose home is this MEC"),
  })
  .describe("MEC");
export const MigrationBodySchema = z
  .object({ target: z.string().min(1).describe("Id of the MEC to move the twin to") })
  .strict();
export const HealthSchema = z.object({ status: z.literal("ok") });
const TwinIdParams = z.object({ id: z.string().describe("Station id") });

// Named components of the document (zod's registry ids; created once, as ids must be unique).
const Twin = TwinSchema.meta({ id: "Twin" });
const Migration = MigrationSchema.meta({ id: "Migration" });
const Mec = MecSummarySchema.meta({ id: "Mec" });
const ApiError = ErrorSchema.meta({ id: "Error" });
const Hazard = HazardReportSchema.meta({ id: "Hazard" });
const TwinAnswer = TwinSchema.partial()
  .extend({
    id: z.string(),
    [DISTANCE_FIELD]: z.number().optional().describe("Metres from the query's near point (with near)"),
  })
  .describe("A twin, or the fields of it asked for");
const TwinHistory = TwinHistoryDataSchema.partial()
  .extend({ id: z.string(), mec: z.string().describe("Id of the MEC hosting the twin") })
  .meta({ id: "TwinHistory" });
const TwinMarker = TwinMarkerSchema.meta({ id: "TwinMarker" });
const Figures = FiguresSchema.meta({ id: "Figures" });
const ZonesSchema = z
  .object({
    type: z.literal("FeatureCollection"),
    features: z.array(
      z.object({
        type: z.literal("Feature"),
        id: z.string().describe("MEC id"),
        properties: z.object({ id: z.string(), name: z.string() }),
        geometry: z.object({ type: z.enum(["Polygon", "MultiPolygon"]), coordinates: z.array(z.unknown()) }),
      }),
    ),
  })
  .describe("GeoJSON FeatureCollection: one feature per MEC, its zone");

const EVENTS_DESCRIPTION = `Server-sent events (text/event-stream), e.g. \`curl -N\`. On connecting, the current state
(every twin, the latest migrations, the figures); then what changes, read every 500 ms (less
often when reading would take more than 5% of the server's time). Events:

- \`twin\` (TwinMarker): a twin appeared or changed; at most one per twin and reading.
- \`twin-removed\` (\`{"id": ...}\`): a twin expired.
- \`migration\` (Migration): a migration started or moved on (step, status, timings).
- \`figures\` (Figures): the summary figures changed.

A client that reads slowly is not buffered for: while its connection is full, only the latest
state of each twin is kept for it (and the latest 100 migrations, and the figures), and written
when it reads again. Needs the bearer token when VVCU_API_TOKEN is set.`;

export function openApiDocument(version: string): ReturnType<OpenApiGeneratorV3["generateDocument"]> {
  const registry = new OpenAPIRegistry();
  const json = <T extends z.ZodType>(schema: T, description: string) => ({
    description,
    content: { "application/json": { schema } },
  });
  const failure = (description: string) => json(ApiError, description);
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "VVCU_API_TOKEN; when it is set, every path but /health needs it (the event stream and the console too)",
  });
  // Every path but the probe needs the token when one is set (auth.ts).
  const tokenNeeded = { security: [{ bearer: [] }] };
  const unauthorized = { 401: failure("Missing or wrong bearer token (VVCU_API_TOKEN is set)") };

  registry.registerPath({
    method: "get",
    path: "/health",
    summary: "Liveness",
    responses: { 200: json(HealthSchema, "Up") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/twins`,
    ...tokenNeeded,
    summary: "Twins, wherever they live: all, or those matching a query",
    description: [
      "Without parameters: every twin, by station id. Every parameter given must hold.",
      "`near` answers nearest first (`order=distance`) with each twin's distance in `distanceFromPointM`;",
      "`near` and `bbox` are answered from each MEC's spatial index.",
      "With `limit`, a page that is not the last carries the next page's cursor in `X-Next-Cursor` (and a `Link` rel=next).",
      "In `order=id` a twin that matches throughout is on exactly one page however twins move between pages;",
      "in `order=distance` the cursor is the last (distance, id) sent, so a twin moving across it between pages",
      "may be sent twice or not at all: page in `order=id` to list a moving crowd completely.",
    ].join(" "),
    request: { query: TwinQueryParamsSchema },
    responses: {
      200: {
        ...json(z.array(TwinAnswer), "The twins (all fields, or those of `fields`)"),
        headers: {
          "X-Next-Cursor": {
            description: "Cursor of the next page; absent on the last",
            schema: { type: "string" },
          },
          Link: { description: 'The next page\'s URL, rel="next"', schema: { type: "string" } },
        },
      },
      400: failure("A bad parameter: the message names it and the rule"),
      ...unauthorized,
    },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/twins/{id}/history`,
    ...tokenNeeded,
    summary: "A twin's recent history: samples oldest first, and perceived objects",
    description:
      "Kept for VVCU_TWIN_HISTORY_S (default 600 s), at most one sample per VVCU_TWIN_HISTORY_INTERVAL_S (default 1 s); it moves with the twin on migration and outlives restarts with the Redis store.",
    request: { params: TwinIdParams, query: HistoryQueryParamsSchema },
    responses: {
      200: json(TwinHistory, "The history within since..until"),
      400: failure("A bad parameter: the message names it and the rule"),
      404: failure("No such twin"),
      ...unauthorized,
    },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/hazards`,
    ...tokenNeeded,
    summary: "The hazards (DENM events) valid now, each once with the stations reporting it",
    description:
      "Cancelled and negated events are gone, as are those past their validity. With `near`: nearest first.",
    request: { query: HazardQueryParamsSchema },
    responses: {
      200: json(z.array(Hazard), "The hazards"),
      400: failure("A bad parameter: the message names it and the rule"),
      ...unauthorized,
    },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/twins/{id}`,
    ...tokenNeeded,
    summary: "One twin",
    request: { params: TwinIdParams },
    responses: { 200: json(Twin, "The twin"), ...unauthorized, 404: failure("No such twin") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/mecs`,
    ...tokenNeeded,
    summary: "The MECs of the topology and the twins each hosts",
    responses: { 200: json(z.array(Mec), "The MECs"), ...unauthorized },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/migrations`,
    ...tokenNeeded,
    summary: "Migrations, newest first",
    request: { query: z.object({ twin: z.string().optional().describe("Only this twin's migrations") }) },
    responses: { 200: json(z.array(Migration), "The migrations"), ...unauthorized },
  });
  registry.registerPath({
    method: "post",
    path: `${API_PREFIX}/twins/{id}/migrations`,
    summary: "Move a twin to another MEC (make-before-break)",
    ...tokenNeeded,
    request: {
      params: TwinIdParams,
      body: { required: true, content: { "application/json": { schema: MigrationBodySchema } } },
    },
    responses: {
      202: json(Migration, "Accepted: the migration runs (status running)"),
      400: failure("Bad body, unknown target, or the twin already lives there"),
      ...unauthorized,
      403: failure("Sent from another site's page (Origin, Sec-Fetch-Site)"),
      404: failure("No such twin"),
      409: failure("A migration of this twin is running"),
      415: failure("The body is not application/json"),
    },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/zones`,
    summary: "The MECs' zones as GeoJSON",
    responses: { 200: json(ZonesSchema, "The zones") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/events`,
    summary: "Live changes of twins, migrations and figures (server-sent events)",
    description: EVENTS_DESCRIPTION,
    security: [{ bearer: [] }],
    responses: {
      200: {
        description: "The event stream; each event's data is one JSON object",
        content: {
          "text/event-stream": {
            schema: z.union([TwinMarker, Migration, Figures, z.object({ id: z.string() })]),
          },
        },
      },
      401: failure("Missing or wrong bearer token"),
      503: failure("Too many event stream clients"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/metrics",
    ...tokenNeeded,
    summary: "Prometheus exposition",
    responses: {
      200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } },
      ...unauthorized,
    },
  });

  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: "3.0.3",
    info: {
      title: "vvcu manager API",
      version,
      description: "Digital twins of C-ITS stations at the edge: twins, MECs, migrations.",
    },
    servers: [{ url: "/" }],
  });
}
