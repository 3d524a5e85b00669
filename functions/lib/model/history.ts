/**
 * A twin's history as it travels and as the API answers it (functions/lib/twin/state/history.ts
 * keeps it): rows of samples and records of perceived objects, oldest first.
 */
import { z } from "zod";
import { MESSAGE_TYPES } from "../cits/types.ts";

/** One sample as stored and moved: [timeMs, lat, lon, speed, heading, ...rates by MESSAGE_TYPES], null for unknown. */
export const HistoryRowSchema = z.array(z.number().nullable()).min(5 + MESSAGE_TYPES.length);
export type HistoryRow = (number | null)[];
export const ObjectsRecordSchema = z.object({
  timeMs: z.number(),
  objects: z.array(
    z.object({
      objectId: z.number(),
      lat: z.number(),
      lon: z.number(),
      classification: z.string().optional(),
    }),
  ),
});
export type ObjectsRecord = z.infer<typeof ObjectsRecordSchema>;

/** The history as a snapshot carries it and Redis keeps it, oldest first. */
export const TwinHistoryStateSchema = z.object({
  rows: z.array(HistoryRowSchema),
  objects: z.array(ObjectsRecordSchema),
});
export type TwinHistoryState = z.infer<typeof TwinHistoryStateSchema>;

/** One sample as the API answers it. */
export const HistorySampleSchema = z.object({
  time: z.string().describe("ISO 8601, receipt time"),
  position: z.object({ lat: z.number(), lon: z.number() }).optional(),
  speed: z.number().optional().describe("m/s"),
  heading: z.number().optional().describe("degrees, clockwise from north"),
  messageRates: z.record(z.string(), z.number()).optional().describe("messages per second, by type"),
});
export type HistorySample = z.infer<typeof HistorySampleSchema>;

export const TwinHistoryDataSchema = z.object({
  samples: z.array(HistorySampleSchema).describe("Oldest first, at most one per history interval"),
  objects: z
    .array(z.object({ time: z.string(), objects: ObjectsRecordSchema.shape.objects }))
    .describe("What the station perceived (CPM objects), at a lower rate"),
});
export type TwinHistoryData = z.infer<typeof TwinHistoryDataSchema>;
