/**
 * The JSON the simulated stations publish, in the shapes real deployments produce:
 * vanetza-nap output envelopes (`vanetza/out/cam`, `vanetza/out/cpm`) in vanetza-nap's
 * "transformed" units (degrees, m/s, metres), and per-station network logs
 * (`obu/inqueue/json/<id>/LOGS/network`). Pure builders.
 */
import { bearingDeg, distanceM } from "../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../functions/lib/geo/types.ts";

export const SIM_TOPICS = {
  cam: "vanetza/out/cam",
  cpm: "vanetza/out/cpm",
  denm: "vanetza/out/denm",
  networkLog: (stationId: number) => `obu/inqueue/json/${stationId}/LOGS/network`,
} as const;

/** ETSI StationType codes the simulator uses. */
export const STATION_TYPE = { passengerCar: 5, bus: 6, roadSideUnit: 15 } as const;

/** ETSI ITS epoch (2004-01-01T00:00:00Z) in Unix milliseconds; generationDeltaTime counts from it modulo 65,536. */
const ITS_EPOCH_MS = 1_072_915_200_000;

export function generationDeltaTime(nowMs: number): number {
  return (((Math.round(nowMs) - ITS_EPOCH_MS) % 65_536) + 65_536) % 65_536;
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

export interface CamInput {
  stationId: number;
  stationType: number;
  position: LatLon;
  altitude: number; // metres
  heading: number; // degrees
  speed: number; // m/s
  acceleration: number; // m/s^2
  yawRate: number; // degrees/s
  length: number; // metres
  width: number; // metres
  lowBeam: boolean;
  /** Time the message leaves the station, Unix ms. */
  nowMs: number;
  /** Id of the station that received it (the RSU or MEC gateway). */
  receiverId: number;
}

/** A vanetza-nap `vanetza/out/cam` message. */
export function camMessage(input: CamInput): Record<string, unknown> {
  return {
    timestamp: input.nowMs / 1000,
    newInfo: true,
    rssi: -60,
    stationID: input.stationId,
    receiverID: input.receiverId,
    receiverType: STATION_TYPE.roadSideUnit,
    fields: {
      header: { protocolVersion: 2, messageID: 2, stationID: input.stationId },
      cam: {
        generationDeltaTime: generationDeltaTime(input.nowMs),
        camParameters: {
          basicContainer: {
            stationType: input.stationType,
            referencePosition: {
              latitude: round(input.position.lat, 7),
              longitude: round(input.position.lon, 7),
              positionConfidenceEllipse: {
                semiMajorConfidence: 2.5,
                semiMinorConfidence: 2.5,
                semiMajorOrientation: round(input.heading, 1),
              },
              altitude: { altitudeValue: round(input.altitude, 2), altitudeConfidence: "alt-005-00" },
            },
          },
          highFrequencyContainer: {
            basicVehicleContainerHighFrequency: {
              heading: { headingValue: round(input.heading, 1), headingConfidence: 1 },
              speed: { speedValue: round(input.speed, 2), speedConfidence: 0.1 },
              driveDirection: "FORWARD",
              vehicleLength: {
                vehicleLengthValue: round(input.length, 1),
                vehicleLengthConfidenceIndication: "noTrailerPresent",
              },
              vehicleWidth: round(input.width, 1),
              longitudinalAcceleration: {
                longitudinalAccelerationValue: round(input.acceleration, 1),
                longitudinalAccelerationConfidence: 0.1,
              },
              curvature: { curvatureValue: 0, curvatureConfidence: "unavailable" },
              curvatureCalculationMode: "YAW_RATE_USED",
              yawRate: { yawRateValue: round(input.yawRate, 2), yawRateConfidence: "unavailable" },
            },
          },
          lowFrequencyContainer: {
            basicVehicleContainerLowFrequency: {
              vehicleRole: "DEFAULT",
              exteriorLights: {
                lowBeamHeadlightsOn: input.lowBeam,
                highBeamHeadlightsOn: false,
                leftTurnSignalOn: false,
                rightTurnSignalOn: false,
                daytimeRunningLightsOn: true,
                reverseLightOn: false,
                fogLightOn: false,
                parkingLightsOn: false,
              },
              pathHistory: [],
            },
          },
        },
      },
    },
  };
}

export interface PerceivedVehicle {
  objectId: number;
  position: LatLon;
  speed: number; // m/s
  heading: number; // degrees
}

export interface CpmInput {
  stationId: number;
  position: LatLon;
  objects: PerceivedVehicle[];
  nowMs: number;
}

/**
 * A vanetza-nap `vanetza/out/cpm` message from an RSU: objects as offsets from the RSU's
 * reference position (xDistance east, yDistance north, metres) with their velocity components.
 */
export function cpmMessage(input: CpmInput): Record<string, unknown> {
  const perceivedObjects = input.objects.map((object) => {
    const distance = distanceM(input.position, object.position);
    const bearing = (bearingDeg(input.position, object.position) * Math.PI) / 180;
    const heading = (object.heading * Math.PI) / 180;
    return {
      objectID: object.objectId,
      timeOfMeasurement: 0,
      objectConfidence: 90,
      xDistance: { value: round(distance * Math.sin(bearing), 2), confidence: 1 },
      yDistance: { value: round(distance * Math.cos(bearing), 2), confidence: 1 },
      xSpeed: { value: round(object.speed * Math.sin(heading), 2), confidence: 1 },
      ySpeed: { value: round(object.speed * Math.cos(heading), 2), confidence: 1 },
      classification: [{ class: { vehicle: { type: 3, confidence: 90 } }, confidence: 90 }],
    };
  });
  return {
    timestamp: input.nowMs / 1000,
    newInfo: true,
    rssi: -55,
    stationID: input.stationId,
    receiverID: input.stationId,
    receiverType: STATION_TYPE.roadSideUnit,
    fields: {
      header: { protocolVersion: 2, messageID: 14, stationID: input.stationId },
      cpm: {
        generationDeltaTime: generationDeltaTime(input.nowMs),
        cpmParameters: {
          managementContainer: {
            stationType: STATION_TYPE.roadSideUnit,
            referencePosition: {
              latitude: round(input.position.lat, 7),
              longitude: round(input.position.lon, 7),
              positionConfidenceEllipse: {
                semiMajorConfidence: 1,
                semiMinorConfidence: 1,
                semiMajorOrientation: 0,
              },
              altitude: { altitudeValue: 8, altitudeConfidence: "alt-001-00" },
            },
          },
          numberOfPerceivedObjects: perceivedObjects.length,
          perceivedObjectContainer: perceivedObjects,
        },
      },
    },
  };
}

export interface NetworkLogInput {
  stationId: number;
  nowMs: number;
  throughputBps: number;
  rxBytes: number;
  txBytes: number;
}

/** A per-station network log, as the stations' log exporters publish it. */
export function networkLogMessage(input: NetworkLogInput): Record<string, unknown> {
  return {
    timestamp: input.nowMs / 1000,
    stationID: input.stationId,
    throughput: Math.round(input.throughputBps),
    rx_bytes: Math.round(input.rxBytes),
    tx_bytes: Math.round(input.txBytes),
  };
}

export interface DenmInput {
  stationId: number;
  /** The RSU's count of events: with its id, the DENM's action id. */
  sequenceNumber: number;
  causeCode: number;
  subCauseCode: number;
  /** vanetza-nap's ccAndScc key: the cause's ASN.1 name with its code, e.g. roadworks3. */
  causeName: string;
  position: LatLon;
  detectionMs: number;
  validityS: number;
  nowMs: number;
  /** The event is over: the station cancels its DENM. */
  cancelled?: boolean;
}

/** A vanetza-nap `vanetza/out/denm` message from an RSU (times in seconds since the ITS epoch). */
export function denmMessage(input: DenmInput): Record<string, unknown> {
  const itsSeconds = (ms: number) => (ms - ITS_EPOCH_MS) / 1000;
  const management: Record<string, unknown> = {
    actionId: { originatingStationId: input.stationId, sequenceNumber: input.sequenceNumber },
    detectionTime: itsSeconds(input.detectionMs),
    referenceTime: itsSeconds(input.nowMs),
    eventPosition: {
      latitude: round(input.position.lat, 7),
      longitude: round(input.position.lon, 7),
      positionConfidenceEllipse: { semiMajorConfidence: 1, semiMinorConfidence: 1, semiMajorOrientation: 0 },
      altitude: { altitudeValue: 8, altitudeConfidence: 4 },
    },
    validityDuration: input.validityS,
    stationType: STATION_TYPE.roadSideUnit,
  };
  if (input.cancelled) management.termination = "isCancellation";
  return {
    timestamp: input.nowMs / 1000,
    newInfo: true,
    rssi: -55,
    stationID: input.stationId,
    receiverID: input.stationId,
    receiverType: STATION_TYPE.roadSideUnit,
    fields: {
      header: { protocolVersion: 2, messageId: 1, stationId: input.stationId },
      denm: {
        management,
        situation: {
          informationQuality: 5,
          eventType: { ccAndScc: { [input.causeName]: input.subCauseCode } },
        },
      },
    },
  };
}
