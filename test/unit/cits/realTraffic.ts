/** Samples and helpers shared by the real-traffic tests (conformanceClasses, conformanceStandards). */
import { decode } from "../../../functions/lib/cits/decode.ts";
import type { CitsMessage, DecodeResult, DroppedPart } from "../../../functions/lib/cits/types.ts";
import { RECEIVED_AT_MS } from "./fixtures.ts";

export const REFERENCE = { latitude: 40.63481, longitude: -8.660463 };

export function run(topic: string, payload: object): DecodeResult {
  return decode(topic, JSON.stringify(payload), RECEIVED_AT_MS);
}

export function ok(topic: string, payload: object): { message: CitsMessage; dropped: DroppedPart[] } {
  const result = run(topic, payload);
  if (!result.ok) throw new Error(`rejected (${result.rejection.code}): ${result.rejection.reason}`);
  return { message: result.message, dropped: result.dropped ?? [] };
}

export function objectOf(x: number, y: number, objectId: number): object {
  return { objectId, position: { xCoordinate: { value: x }, yCoordinate: { value: y } } };
}

export function cpm(containers: unknown[], reference: object = REFERENCE): object {
  return {
    stationID: 229,
    timestamp: 1763675672.9,
    fields: {
      header: { protocolVersion: 2, messageId: 14, stationId: 229 },
      payload: { managementContainer: { referencePosition: reference }, cpmContainers: containers },
    },
  };
}

export const SENSORS = {
  containerId: 3,
  containerData: [{ sensorId: 1, sensorType: 1, perceptionRegionShape: { radial: { range: 100 } } }],
};
export const OBJECTS = {
  containerId: 5,
  containerData: {
    numberOfPerceivedObjects: 1,
    perceivedObjects: [objectOf(10.5, 0, 1), objectOf(0, 20.5, 2)],
  },
};
