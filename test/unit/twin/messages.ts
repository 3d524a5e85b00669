/** Real-shaped normalized C-ITS messages (what the decoder emits) for the twin tests. */
import type { CamMessage, CpmMessage, DenmMessage, LogsMessage } from "../../../functions/lib/cits/types.ts";

export const T0 = Date.parse("2026-11-28T08:00:00.000Z");

const vanetzaOrigin = (type: string) =>
  ({ topic: `vanetza/out/${type}`, dialect: "vanetza-out", units: "transformed" }) as const;

export function cam(stationId: string, sequence: number, fields: Partial<CamMessage> = {}): CamMessage {
  return {
    type: "cam",
    stationId,
    stationType: "passengerCar",
    timeMs: T0 + sequence,
    sequence: T0 + sequence,
    origin: vanetzaOrigin("cam"),
    position: { lat: 40.6405, lon: -8.6538 },
    speed: 10,
    heading: 90,
    ...fields,
  };
}

export function cpm(stationId: string, sequence: number, fields: Partial<CpmMessage> = {}): CpmMessage {
  return {
    type: "cpm",
    stationId,
    stationType: "roadSideUnit",
    timeMs: T0 + sequence,
    sequence: T0 + sequence,
    origin: vanetzaOrigin("cpm"),
    referencePosition: { lat: 40.6443, lon: -8.6455 },
    perceivedObjects: [
      {
        objectId: 1,
        xDistance: 12,
        yDistance: 3,
        position: { lat: 40.6444, lon: -8.6454 },
        speed: 8.5,
        heading: 180,
      },
      { objectId: 2, position: { lat: 40.6446, lon: -8.6457 }, speed: 1.2, classification: "pedestrian" },
      { objectId: 3, xDistance: 40, yDistance: -2 },
    ],
    ...fields,
  };
}

export function denm(stationId: string, sequence: number, fields: Partial<DenmMessage> = {}): DenmMessage {
  return {
    type: "denm",
    stationId,
    stationType: "passengerCar",
    timeMs: T0 + sequence,
    sequence: T0 + sequence,
    origin: vanetzaOrigin("denm"),
    actionId: `${stationId}:1`,
    eventType: { causeCode: 97, subCauseCode: 2, description: "collision risk" },
    eventPosition: { lat: 40.641, lon: -8.652 },
    detectionTimeMs: T0 + sequence,
    validityDurationS: 60,
    ...fields,
  };
}

export function logs(stationId: string, sequence: number, fields: Partial<LogsMessage> = {}): LogsMessage {
  return {
    type: "logs",
    stationId,
    timeMs: T0 + sequence,
    sequence: T0 + sequence,
    origin: {
      topic: `obu/inqueue/json/${stationId}/LOGS/network`,
      dialect: "obu-feed",
      units: "transformed",
    },
    kind: "network",
    throughputBps: 2_400_000,
    rxBytes: 1_000,
    txBytes: 500,
    values: {},
    ...fields,
  };
}
