/**
 * The twin: the live mirror of one station, as stored, served by the API and carried
 * in `twin.updated`. The public `Twin` shape (docs/architecture.md "Manager API") is a subset of this.
 */
import { z } from "zod";
import { LogsMessageSchema, MESSAGE_TYPES, PositionSchema } from "../cits/types.ts";
import { TwinHistoryStateSchema } from "./history.ts";

export const TWIN_STATUSES = ["stable", "migrating"] as const;
export type TwinStatus = (typeof TWIN_STATUSES)[number];
export const TWIN_LIVENESS = ["live", "stale"] as const;

export const MessageCountsSchema = z.object(
  Object.fromEntries(MESSAGE_TYPES.map((type) => [type, z.number().int().nonnegative()])) as Record<
    (typeof MESSAGE_TYPES)[number],
    z.ZodNumber
  >,
);

export const TrajectoryPointSchema = z.object({ lat: z.number(), lon: z.number(), timeMs: z.number() });

export const PerceivedObjectStateSchema = z.object({
  objectId: z.number(),
  lat: z.number(),
  lon: z.number(),
  speed: z.number().optional(), // m/s
  heading: z.number().optional(),
  classification: z.string().optional(),
});

export const HazardSchema = z.object({
  actionId: z.string(),
  causeCode: z.number(),
  subCauseCode: z.number().optional(),
  description: z.string().optional(),
  position: PositionSchema.optional(),
  validUntil: z.string(), // ISO 8601
  /** The originator's last update of this DENM (ISO 8601); older updates and repeats change nothing. */
  referenceTime: z.string().optional(),
});

export const NeighbourSchema = z.object({
  id: z.string(),
  distanceM: z.number(),
  relativeSpeed: z.number(), // m/s, positive when the neighbour is faster
});

/** The latest network flow and signal quality: the LOGS message's figures, and when they came. */
export const NetworkStateSchema = LogsMessageSchema.pick({
  throughputBps: true,
  rxBytes: true,
  txBytes: true,
  rssiDbm: true,
  rsrpDbm: true,
  rsrqDb: true,
  sinrDb: true,
}).extend({ updatedAt: z.string().optional() });

export const TwinSchema = z
  .object({
    id: z.string().describe("Station id, as a string"),
    stationType: z.string().describe("ETSI station type name, e.g. passengerCar, roadSideUnit"),
    mec: z.string().describe("Id of the MEC hosting the twin"),
    status: z.enum(TWIN_STATUSES),
    liveness: z.enum(TWIN_LIVENESS).describe("stale after a quiet period"),
    position: PositionSchema.optional(),
    speed: z.number().optional().describe("m/s"),
    heading: z.number().optional().describe("degrees, clockwise from north"),
    longitudinalAcceleration: z.number().optional(),
    yawRate: z.number().optional(),
    length: z.number().optional(),
    width: z.number().optional(),
    exteriorLights: z.array(z.string()).optional(),
    lastSeen: z.string().describe("ISO 8601"),
    createdAt: z.string(),
    messages: MessageCountsSchema,
    messageRates: z
      .record(z.string(), z.number())
      .describe("messages per second over the last window, by type"),
    trajectory: z.array(TrajectoryPointSchema),
    distanceM: z.number(),
    averageSpeed: z.number(),
    maxSpeed: z.number(),
    perceivedObjects: z.array(PerceivedObjectStateSchema),
    hazards: z.array(HazardSchema),
    network: NetworkStateSchema,
    neighbours: z.array(NeighbourSchema),
    /** Sequence of the last applied event: a snapshot's cut, and the guard against late events. */
    sequence: z.number(),
    /** Store version, bumped on every write (optimistic concurrency). */
    version: z.number().int(),
  })
  .describe("Twin");
export type Twin = z.infer<typeof TwinSchema>;

/**
 * Running figures behind the twin's derived fields (average speed, message rates). Not part of the
 * public Twin shape, but moved with it so a migrated twin keeps computing the same averages.
 */
export const TwinAccumulatorsSchema = z.object({
  /** Speed reports averaged into `averageSpeed`. */
  speedSamples: z.number().int().nonnegative(),
  /** Start of the current message-rate window (receipt time, ms since the epoch). */
  rateWindowStartMs: z.number(),
  /** Messages received in the current rate window, by type. */
  rateWindowCounts: z.record(z.string(), z.number()),
  /**
   * DENMs cancelled or negated, by actionId, with the terminating reference time (Unix ms):
   * a repeat of the original DENM, older than its termination, does not bring the hazard back.
   */
  endedDenms: z.record(z.string(), z.number()).optional(),
});
export type TwinAccumulators = z.infer<typeof TwinAccumulatorsSchema>;

/** What migration moves: the twin's state at a cut, and the event ids applied up to it. */
export const TwinSnapshotSchema = z.object({
  twin: TwinSchema,
  /** Ids of recently applied events, so replays across the cut stay idempotent. */
  appliedEventIds: z.array(z.string()),
  takenAt: z.string(),
  accumulators: TwinAccumulatorsSchema.optional(),
  /** The twin's history (history.ts), so it goes on at the target where it stopped. */
  history: TwinHistoryStateSchema.optional(),
});
export type TwinSnapshot = z.infer<typeof TwinSnapshotSchema>;

export type Hazard = z.infer<typeof HazardSchema>;
export type PerceivedObjectState = z.infer<typeof PerceivedObjectStateSchema>;
export type Neighbour = z.infer<typeof NeighbourSchema>;
export type TrajectoryPoint = z.infer<typeof TrajectoryPointSchema>;
