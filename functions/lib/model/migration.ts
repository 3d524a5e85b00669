import { z } from "zod";

export const MIGRATION_STATUSES = ["running", "completed", "failed", "rolled-back"] as const;
export const MIGRATION_TRIGGERS = ["geofence", "manual"] as const;
/** Why a migration was asked for. */
export const MIGRATION_REASONS = ["entered-zone", "predicted-entry", "manual", "first-placement"] as const;
/** The steps, in order, of the make-before-break protocol (docs/architecture.md "Flow of one migration"). */
export const MIGRATION_STEPS = ["reserved", "placed", "ready", "switched", "released", "done"] as const;
export type MigrationStep = (typeof MIGRATION_STEPS)[number];

export const MIGRATION_ACTIONS = ["place", "release"] as const;

/** One orchestrator action of a migration, with the driver's own handle for it. */
export const MigrationOperationSchema = z
  .object({
    action: z.enum(MIGRATION_ACTIONS),
    mec: z.string(),
    /**
     * The driver's handle: `namespace/name` of a twin CNF (kubernetes), `ns:<NS instance id>/op:<nslcmop id>`
     * (osm), `<mec>/<twin>` (local).
     */
    ref: z.string(),
  })
  .describe("MigrationOperation");
export type MigrationOperation = z.infer<typeof MigrationOperationSchema>;

export const MigrationSchema = z
  .object({
    id: z.string(),
    twin: z.string(),
    from: z.string(),
    to: z.string(),
    trigger: z.enum(MIGRATION_TRIGGERS),
    reason: z.enum(MIGRATION_REASONS),
    status: z.enum(MIGRATION_STATUSES),
    step: z.enum(MIGRATION_STEPS),
    driver: z.string(),
    requestedAt: z.string(),
    finishedAt: z.string().optional(),
    timeUntilReadyMs: z.number().optional(),
    timeUntilDoneMs: z.number().optional(),
    error: z.string().optional(),
    /** What the drivers did, in order, with their own ids (e.g. OSM NBI operation ids). */
    operations: z.array(MigrationOperationSchema).optional(),
  })
  .describe("Migration");
export type Migration = z.infer<typeof MigrationSchema>;

export const MigrationRequestSchema = z.object({
  /** Idempotency key: the same id asks for the same migration. */
  id: z.string(),
  twin: z.string(),
  from: z.string(),
  to: z.string(),
  trigger: z.enum(MIGRATION_TRIGGERS),
  reason: z.enum(MIGRATION_REASONS),
  requestedAt: z.string(),
});
export type MigrationRequest = z.infer<typeof MigrationRequestSchema>;
