/**
 * The normalized C-ITS message: one shape per message type, SI units and degrees,
 * whatever dialect or unit system it arrived in. This is the contract between the
 * decoder and everything downstream (bridge, twin, geofence, proxy).
 *
 * A field that the message did not carry, or carried as an ETSI "unavailable"
 * sentinel, is absent (never 0, never the sentinel).
 */
import { z } from "zod";

export const MESSAGE_TYPES = ["cam", "cpm", "denm", "vam", "logs"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** ETSI station types (EN 302 637-2 StationType). */
export const STATION_TYPES = {
  0: "unknown",
  1: "pedestrian",
  2: "cyclist",
  3: "moped",
  4: "motorcycle",
  5: "passengerCar",
  6: "bus",
  7: "lightTruck",
  8: "heavyTruck",
  9: "trailer",
  10: "specialVehicle",
  11: "tram",
  15: "roadSideUnit",
} as const satisfies Record<number, string>;
export type StationTypeName = (typeof STATION_TYPES)[keyof typeof STATION_TYPES];

export const PositionSchema = z.object({
  lat: z.number().min(-90).max(90), // degrees, WGS84
  lon: z.number().min(-180).max(180), // degrees, WGS84
  alt: z.number().optional(), // metres
});
export type Position = z.infer<typeof PositionSchema>;

export const DIALECTS = ["vanetza-out", "vanetza-in", "its-center", "obu-feed", "nested", "plain"] as const;
export type Dialect = (typeof DIALECTS)[number];
export type UnitSystem = "transformed" | "raw";

/** Where a message came from: the parts of its MQTT topic the decoder used. */
export const OriginSchema = z.object({
  topic: z.string(),
  dialect: z.enum(DIALECTS),
  /** Quadkey of the ITS-centre tile, when the topic carries one. */
  quadkey: z.string().optional(),
  /** Which unit system the scaled values were read in. */
  units: z.enum(["transformed", "raw"]),
});
export type Origin = z.infer<typeof OriginSchema>;

const common = {
  stationId: z.string().min(1),
  stationType: z.string().optional(),
  /** Message time, milliseconds since the Unix epoch (from the message, or receipt time). */
  timeMs: z.number(),
  /** Order of this station's messages (the envelope timestamp, or time); later messages have larger values. */
  sequence: z.number(),
  origin: OriginSchema,
};

const kinematics = {
  position: PositionSchema.optional(),
  speed: z.number().min(0).optional(), // m/s
  heading: z.number().min(0).max(360).optional(), // degrees, 0 = north, clockwise
  longitudinalAcceleration: z.number().optional(), // m/s^2
  yawRate: z.number().optional(), // degrees/s
  length: z.number().optional(), // metres
  width: z.number().optional(), // metres
  exteriorLights: z.array(z.string()).optional(), // names of the lights that are on
};

export const CamMessageSchema = z.object({ type: z.literal("cam"), ...common, ...kinematics });
export const VamMessageSchema = z.object({ type: z.literal("vam"), ...common, ...kinematics });

export const PerceivedObjectSchema = z.object({
  objectId: z.number(),
  /** Offset from the reference position, metres, as sent. */
  xDistance: z.number().optional(),
  yDistance: z.number().optional(),
  position: PositionSchema.optional(),
  speed: z.number().optional(), // m/s
  heading: z.number().optional(), // degrees
  classification: z.string().optional(),
});

export const CpmMessageSchema = z.object({
  type: z.literal("cpm"),
  ...common,
  referencePosition: PositionSchema.optional(),
  heading: z.number().optional(),
  speed: z.number().optional(),
  perceivedObjects: z.array(PerceivedObjectSchema),
});

export const DenmMessageSchema = z.object({
  type: z.literal("denm"),
  ...common,
  /** originatingStationId:sequenceNumber, the DENM's identity across updates. */
  actionId: z.string(),
  eventType: z
    .object({
      causeCode: z.number(),
      subCauseCode: z.number().optional(),
      description: z.string().optional(),
    })
    .optional(),
  eventPosition: PositionSchema.optional(),
  detectionTimeMs: z.number().optional(),
  validityDurationS: z.number(), // seconds; ETSI default 600
  /** When the originator last updated this DENM, Unix ms; orders updates of one actionId. */
  referenceTimeMs: z.number().optional(),
  termination: z.enum(["isCancellation", "isNegation"]).optional(),
});

export const LogsMessageSchema = z.object({
  type: z.literal("logs"),
  ...common,
  kind: z.enum(["network", "access"]),
  /** Network flow, bits per second (network logs). */
  throughputBps: z.number().optional(),
  rxBytes: z.number().optional(),
  txBytes: z.number().optional(),
  /** Signal quality (access logs). */
  rssiDbm: z.number().optional(),
  rsrpDbm: z.number().optional(),
  rsrqDb: z.number().optional(),
  sinrDb: z.number().optional(),
  /** The other numeric fields of the log, as sent. */
  values: z.record(z.string(), z.number()),
});

export const CitsMessageSchema = z.discriminatedUnion("type", [
  CamMessageSchema,
  CpmMessageSchema,
  DenmMessageSchema,
  VamMessageSchema,
  LogsMessageSchema,
]);

export type CamMessage = z.infer<typeof CamMessageSchema>;
export type VamMessage = z.infer<typeof VamMessageSchema>;
export type PerceivedObject = z.infer<typeof PerceivedObjectSchema>;
export type CpmMessage = z.infer<typeof CpmMessageSchema>;
export type DenmMessage = z.infer<typeof DenmMessageSchema>;
export type LogsMessage = z.infer<typeof LogsMessageSchema>;
export type CitsMessage = z.infer<typeof CitsMessageSchema>;

export type RejectionCode =
  | "too-large"
  | "not-json"
  | "not-an-object"
  | "unknown-topic"
  | "unknown-message-type"
  | "missing-station-id"
  | "invalid-field"
  | "out-of-range";

export interface Rejection {
  code: RejectionCode;
  /** A sentence a person can act on, naming the field where there is one. */
  reason: string;
  topic: string;
}

/**
 * Why a part of an accepted message was left out: `malformed` (it breaks its ETSI shape),
 * `unknown` (a container or extension vvcu does not know), `unused` (a known part vvcu does not
 * read, such as a CPM's sensor information container).
 */
export type DropCode = "malformed" | "unknown" | "unused";

/** One part of a message the decoder left out, and why; the rest of the message was kept. */
export interface DroppedPart {
  /** Dotted path of the part inside the payload. */
  path: string;
  code: DropCode;
  reason: string;
}

export type DecodeResult =
  | { ok: true; message: CitsMessage; dropped?: DroppedPart[] }
  | { ok: false; rejection: Rejection };

/** Largest payload the decoder looks at; larger ones are rejected unread. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
