/**
 * The manager API's schemas, written once: the handler validates with them and the OpenAPI
 * document at /openapi.json is generated from them.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3 } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { MigrationSchema } from "../model/migration.ts";
import { TwinSchema } from "../model/twin.ts";

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
    description: "VVCU_API_TOKEN; required by mutating calls when it is set",
  });

  registry.registerPath({
    method: "get",
    path: "/health",
    summary: "Liveness",
    responses: { 200: json(HealthSchema, "Up") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/twins`,
    summary: "All twins, wherever they live",
    responses: { 200: json(z.array(Twin), "The twins") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/twins/{id}`,
    summary: "One twin",
    request: { params: TwinIdParams },
    responses: { 200: json(Twin, "The twin"), 404: failure("No such twin") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/mecs`,
    summary: "The MECs of the topology and the twins each hosts",
    responses: { 200: json(z.array(Mec), "The MECs") },
  });
  registry.registerPath({
    method: "get",
    path: `${API_PREFIX}/migrations`,
    summary: "Migrations, newest first",
    request: { query: z.object({ twin: z.string().optional().describe("Only this twin's migrations") }) },
    responses: { 200: json(z.array(Migration), "The migrations") },
  });
  registry.registerPath({
    method: "post",
    path: `${API_PREFIX}/twins/{id}/migrations`,
    summary: "Move a twin to another MEC (make-before-break)",
    security: [{ bearer: [] }],
    request: {
      params: TwinIdParams,
      body: { required: true, content: { "application/json": { schema: MigrationBodySchema } } },
    },
    responses: {
      202: json(Migration, "Accepted: the migration runs (status running)"),
      400: failure("Bad body, unknown target, or the twin already lives there"),
      401: failure("Missing or wrong bearer token"),
      404: failure("No such twin"),
      409: failure("A migration of this twin is running"),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/metrics",
    summary: "Prometheus exposition",
    responses: { 200: { description: "Metrics", content: { "text/plain": { schema: z.string() } } } },
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
