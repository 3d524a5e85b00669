/**
 * The payloads of `GET /api/v1/events` (docs/events in the OpenAPI): the compact twin marker a map
 * needs and the summary figures. Shared by the manager, which streams them, and the console, which
 * draws them.
 */
import { z } from "zod";
import { MIGRATION_STATUSES } from "./migration.ts";
import { TWIN_LIVENESS, TWIN_STATUSES } from "./twin.ts";

export const TwinMarkerSchema = z
  .object({
    id: z.string(),
    stationType: z.string(),
    mec: z.string().describe("Id of the MEC hosting the twin"),
    status: z.enum(TWIN_STATUSES).describe("migrating while a migration of the twin runs"),
    liveness: z.enum(TWIN_LIVENESS),
    lat: z.number().optional(),
    lon: z.number().optional(),
    speed: z.number().optional().describe("m/s"),
    heading: z.number().optional().describe("degrees, clockwise from north"),
  })
  .describe("The part of a twin a map needs; GET /api/v1/twins/{id} has the rest");
export type TwinMarker = z.infer<typeof TwinMarkerSchema>;

const MigrationCountsSchema = z.object(
  Object.fromEntries(MIGRATION_STATUSES.map((status) => [status, z.number().int()])) as Record<
    (typeof MIGRATION_STATUSES)[number],
    z.ZodNumber
  >,
);

export const FiguresSchema = z
  .object({
    twins: z.number().int(),
    mecs: z.array(z.object({ id: z.string(), twins: z.number().int() })),
    messagesPerS: z.number().describe("Messages per second over all twins (their message rates summed)"),
    rejected: z.number().int().optional().describe("Messages the bridges rejected since start, when known"),
    migrations: MigrationCountsSchema,
  })
  .describe("Summary figures");
export type Figures = z.infer<typeof FiguresSchema>;
