/**
 * The hazards (DENM events) currently valid, across twins: each event once, by action id, with
 * the stations reporting it. A twin holds a hazard until its validity ends or a cancellation or
 * negation removes it (reduceHazards.ts); here validity is checked again at the time of asking,
 * as a twin's hazards are pruned only when it next changes or is swept.
 */

import { z } from "zod";
import { PositionSchema } from "../../cits/types.ts";
import { distanceM } from "../../geo/sphere.ts";
import { type Hazard, HazardSchema, type Twin } from "../../model/twin.ts";
import { activeHazards } from "./reduceHazards.ts";
import { type Circle, compareIds, DISTANCE_FIELD, inBox, type TwinFilter } from "./twinQuery.ts";

export const HazardReportSchema = HazardSchema.omit({ position: true, validUntil: true })
  .extend({
    position: PositionSchema.optional().describe(
      "The event's position, else that of the first station reporting it",
    ),
    validUntil: z.string().describe("The latest end of validity any reporting station holds (ISO 8601)"),
    reportingStations: z.array(z.string()).describe("Ids of the stations whose twins hold the event"),
    [DISTANCE_FIELD]: z.number().optional().describe("Metres from the query's near point (with near)"),
  })
  .describe("Hazard");
export type HazardReport = z.infer<typeof HazardReportSchema>;

/** The hazards valid at `nowMs`, in the area (if any): nearest first with `near`, else by action id. */
export function currentHazards(
  twins: readonly Twin[],
  area: Pick<TwinFilter, "bbox" | "near">,
  nowMs: number,
): HazardReport[] {
  const byAction = new Map<string, HazardReport>();
  const ordered = [...twins].sort((a, b) => compareIds(a.id, b.id));
  for (const twin of ordered) {
    for (const hazard of activeHazards(twin.hazards, nowMs)) {
      const known = byAction.get(hazard.actionId);
      if (known) merge(known, hazard, twin.id);
      else byAction.set(hazard.actionId, reportOf(hazard, twin));
    }
  }
  const found: HazardReport[] = [];
  for (const report of byAction.values()) {
    const distance = placed(report, area.bbox, area.near);
    if (distance === undefined) continue;
    if (area.near) report[DISTANCE_FIELD] = distance;
    found.push(report);
  }
  return found.sort(
    (a, b) =>
      (area.near ? (a[DISTANCE_FIELD] ?? 0) - (b[DISTANCE_FIELD] ?? 0) : 0) ||
      compareIds(a.actionId, b.actionId),
  );
}

function reportOf(hazard: Hazard, twin: Twin): HazardReport {
  const report: HazardReport = {
    actionId: hazard.actionId,
    causeCode: hazard.causeCode,
    validUntil: hazard.validUntil,
    reportingStations: [twin.id],
  };
  if (hazard.subCauseCode !== undefined) report.subCauseCode = hazard.subCauseCode;
  if (hazard.description !== undefined) report.description = hazard.description;
  const position = hazard.position ?? twin.position;
  if (position) report.position = { ...position };
  return report;
}

function merge(report: HazardReport, hazard: Hazard, stationId: string): void {
  report.reportingStations.push(stationId);
  if (Date.parse(hazard.validUntil) > Date.parse(report.validUntil)) report.validUntil = hazard.validUntil;
  if (!report.position && hazard.position) report.position = { ...hazard.position };
}

/** Metres from `near`'s point (0 without it) when the report lies in the area, else undefined. */
function placed(
  report: HazardReport,
  bbox: TwinFilter["bbox"],
  near: Circle | undefined,
): number | undefined {
  if (!bbox && !near) return 0;
  const position = report.position;
  if (!position) return undefined;
  if (bbox && !inBox(position, bbox)) return undefined;
  if (!near) return 0;
  const distance = distanceM(near, position);
  return distance <= near.radiusM ? distance : undefined;
}
