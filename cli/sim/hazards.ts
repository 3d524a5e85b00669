/**
 * The RSUs' hazards: now and then an RSU announces an event near its site (roadworks, a
 * stationary vehicle) with a DENM, repeats it while it lasts, and cancels it when it is over,
 * so the twins hold hazards and GET /api/v1/hazards lists them in a running stack.
 */
import { destinationPoint } from "../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../functions/lib/geo/types.ts";
import { denmMessage, SIM_TOPICS } from "./messages.ts";
import type { Random } from "./random.ts";

/** The events the RSUs announce, in turn: ETSI cause codes with vanetza-nap's ccAndScc names. */
export const SIM_HAZARDS = [
  { causeCode: 3, subCauseCode: 0, causeName: "roadworks3" },
  { causeCode: 94, subCauseCode: 0, causeName: "stationaryVehicle94" },
] as const;
/** An event lasts this long, its DENM repeated every REPEAT_MS; it is valid for VALIDITY_S from detection. */
export const HAZARD_DURATION_MS = 60_000;
const REPEAT_MS = 5_000;
const VALIDITY_S = 120;

interface Ongoing {
  sequenceNumber: number;
  hazard: (typeof SIM_HAZARDS)[number];
  position: LatLon;
  detectionMs: number;
  nextRepeatMs: number;
}

export interface HazardMessage {
  topic: string;
  payload: string;
  stationId: number;
  kind: "denm";
  timeMs: number;
}

export class RsuHazards {
  private sequenceNumber = 0;
  private ongoing: Ongoing | undefined;
  private nextEventMs: number;

  /** @param gapMs time between one event's end and the next one's start */
  constructor(
    private readonly stationId: number,
    private readonly site: LatLon,
    private readonly random: Random,
    startMs: number,
    private readonly gapMs: number,
  ) {
    // The first event early (2-10 s), so a fresh stack shows one soon.
    this.nextEventMs = startMs + random.between(2_000, 10_000);
  }

  tick(nowMs: number, out: { push(...messages: HazardMessage[]): number }): void {
    if (this.ongoing === undefined && nowMs >= this.nextEventMs) {
      const hazard = SIM_HAZARDS[this.sequenceNumber % SIM_HAZARDS.length] as Ongoing["hazard"];
      this.sequenceNumber++;
      const detectionMs = Math.round(Math.max(this.nextEventMs, nowMs - 1_000));
      this.ongoing = {
        sequenceNumber: this.sequenceNumber,
        hazard,
        position: destinationPoint(this.site, this.random.next() * 360, this.random.between(30, 80)),
        detectionMs,
        nextRepeatMs: detectionMs,
      };
    }
    const ongoing = this.ongoing;
    if (ongoing === undefined) return;
    if (nowMs >= ongoing.detectionMs + HAZARD_DURATION_MS) {
      out.push(this.message(ongoing, Math.round(ongoing.detectionMs + HAZARD_DURATION_MS), true));
      this.ongoing = undefined;
      this.nextEventMs = ongoing.detectionMs + HAZARD_DURATION_MS + this.gapMs;
      return;
    }
    // After a stall, one repetition rather than a burst.
    if (nowMs - ongoing.nextRepeatMs > REPEAT_MS) ongoing.nextRepeatMs = nowMs;
    while (ongoing.nextRepeatMs <= nowMs) {
      out.push(this.message(ongoing, Math.round(ongoing.nextRepeatMs), false));
      ongoing.nextRepeatMs += REPEAT_MS;
    }
  }

  private message(ongoing: Ongoing, timeMs: number, cancelled: boolean): HazardMessage {
    const payload = denmMessage({
      stationId: this.stationId,
      sequenceNumber: ongoing.sequenceNumber,
      ...ongoing.hazard,
      position: ongoing.position,
      detectionMs: ongoing.detectionMs,
      validityS: VALIDITY_S,
      nowMs: timeMs,
      cancelled,
    });
    return {
      topic: SIM_TOPICS.denm,
      payload: JSON.stringify(payload),
      stationId: this.stationId,
      kind: "denm",
      timeMs,
    };
  }
}
