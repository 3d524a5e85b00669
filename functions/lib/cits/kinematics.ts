/**
 * CAM and VAM: where the station is and how it moves.
 *   CAM: camParameters.basicContainer.{stationType, referencePosition.{latitude, longitude, altitude.altitudeValue}}
 *        camParameters.highFrequencyContainer.basicVehicleContainerHighFrequency.{heading.headingValue,
 *          speed.speedValue, longitudinalAcceleration.(longitudinalAccelerationValue|value),
 *          yawRate.yawRateValue, vehicleLength.vehicleLengthValue, vehicleWidth}
 *        camParameters.lowFrequencyContainer.basicVehicleContainerLowFrequency.exteriorLights {name: bool}
 *   VAM: vamParameters.basicContainer (as CAM) and vamParameters.vruHighFrequencyContainer.{heading.value,
 *        speed.speedValue, longitudinalAcceleration.longitudinalAccelerationValue}
 *   The flat CAM older NAP-Vanetza took on vanetza/in ({latitude, longitude, speed, heading, ...}) too.
 */
import { z } from "zod";
import {
  failureReason,
  invalidField,
  isObject,
  type JsonObject,
  joinPath,
  numberAt,
  objectAt,
  scalarAt,
} from "./read.ts";
import type { Position, UnitSystem } from "./types.ts";
import { FIELDS, type Reading, Readings, toSI } from "./units.ts";

export interface KinematicsReadings {
  readings: Readings;
  latitude?: Reading;
  longitude?: Reading;
  altitude?: Reading;
  speed?: Reading;
  heading?: Reading;
  longitudinalAcceleration?: Reading;
  yawRate?: Reading;
  length?: Reading;
  width?: Reading;
  stationTypeCode?: number;
  exteriorLights?: string[];
}

export interface Kinematics {
  position?: Position;
  speed?: number;
  heading?: number;
  longitudinalAcceleration?: number;
  yawRate?: number;
  length?: number;
  width?: number;
  exteriorLights?: string[];
}

/** Reads a referencePosition's latitude, longitude and altitude into `readings`. */
export function readPosition(
  readings: Readings,
  reference: JsonObject | undefined,
  path: string,
): Pick<KinematicsReadings, "latitude" | "longitude" | "altitude"> {
  if (reference === undefined) return {};
  return {
    latitude: readings.add(FIELDS.latitude, numberAt(reference, "latitude", path), `${path}.latitude`),
    longitude: readings.add(FIELDS.longitude, numberAt(reference, "longitude", path), `${path}.longitude`),
    altitude: readings.add(
      FIELDS.altitude,
      scalarAt(reference, "altitude", path, "altitudeValue"),
      `${path}.altitude`,
    ),
  };
}

/** The position once units are decided; none unless both latitude and longitude are available. */
export function positionOf(
  latitude: Reading | undefined,
  longitude: Reading | undefined,
  altitude: Reading | undefined,
  units: UnitSystem,
): Position | undefined {
  const lat = toSI(latitude, units);
  const lon = toSI(longitude, units);
  const alt = toSI(altitude, units);
  if (lat === undefined || lon === undefined) return undefined;
  return alt === undefined ? { lat, lon } : { lat, lon, alt };
}

const LIGHTS_SCHEMA = z.union([
  z.record(z.string(), z.boolean()),
  z.array(z.string()),
  z.string().regex(/^([0-9a-fA-F]{2})+$/),
]);

/** ExteriorLights bit names, bit 0 first (TS 102 894-2). */
const LIGHT_BITS = [
  "lowBeamHeadlightsOn",
  "highBeamHeadlightsOn",
  "leftTurnSignalOn",
  "rightTurnSignalOn",
  "daytimeRunningLightsOn",
  "reverseLightOn",
  "fogLightOn",
  "parkingLightsOn",
] as const;

/** A JER BIT STRING (X.697): hex digits, bit 0 the most significant bit of the first byte. */
function lightsFromHex(hex: string): string[] | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0) return undefined;
  const on: string[] = [];
  for (let bit = 0; bit < LIGHT_BITS.length && bit < hex.length * 4; bit++) {
    const nibble = Number.parseInt(hex[bit >> 2] as string, 16);
    if (Number.isNaN(nibble)) return undefined;
    if ((nibble >> (3 - (bit & 3))) & 1) on.push(LIGHT_BITS[bit] as string);
  }
  return on;
}

function lightsOn(value: unknown, path: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    const lights = lightsFromHex(value);
    if (lights !== undefined) return lights;
  }
  // A variable-size JER BIT STRING: {"value": hex, "length": bits}.
  if (isObject(value) && typeof value.value === "string") {
    const lights = lightsFromHex(value.value);
    if (lights !== undefined) return lights;
  }
  if (isObject(value)) {
    const on: string[] = [];
    for (const name in value) if (value[name] === true) on.push(name);
    return on;
  }
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  return invalidField(path, value, LIGHTS_SCHEMA, "expected an object of light names to booleans");
}

function highFrequency(
  params: JsonObject,
  path: string,
  type: "cam" | "vam",
): [JsonObject | undefined, string] {
  if (type === "vam") {
    return [objectAt(params, "vruHighFrequencyContainer", path), joinPath(path, "vruHighFrequencyContainer")];
  }
  const container = objectAt(params, "highFrequencyContainer", path);
  const containerPath = joinPath(path, "highFrequencyContainer");
  const vehicle = objectAt(container, "basicVehicleContainerHighFrequency", containerPath);
  if (vehicle !== undefined) return [vehicle, `${containerPath}.basicVehicleContainerHighFrequency`];
  // An RSU's rsuContainerHighFrequency carries no kinematics; a bare container might.
  if (container !== undefined && container.rsuContainerHighFrequency === undefined)
    return [container, containerPath];
  return [undefined, containerPath];
}

/** Reads (not yet converts) the kinematics of a CAM or VAM body. */
export function readKinematics(body: JsonObject, bodyPath: string, type: "cam" | "vam"): KinematicsReadings {
  const readings = new Readings();
  const parametersKey = type === "cam" ? "camParameters" : "vamParameters";
  const params = objectAt(body, parametersKey, bodyPath);
  if (params === undefined && type === "cam" && body.basicContainer === undefined)
    return readFlatCam(body, bodyPath);
  const paramsPath = params === undefined ? bodyPath : joinPath(bodyPath, parametersKey);
  const container = params ?? body;

  const basic = objectAt(container, "basicContainer", paramsPath);
  const basicPath = joinPath(paramsPath, "basicContainer");
  const reference = objectAt(basic, "referencePosition", basicPath);
  const result: KinematicsReadings = {
    readings,
    ...readPosition(readings, reference, `${basicPath}.referencePosition`),
  };
  const stationTypeCode = numberAt(basic, "stationType", basicPath);
  if (stationTypeCode !== undefined) result.stationTypeCode = stationTypeCode;

  const [hf, hfPath] = highFrequency(container, paramsPath, type);
  if (hf !== undefined) {
    result.heading = readings.add(
      FIELDS.heading,
      scalarAt(hf, "heading", hfPath, "headingValue"),
      `${hfPath}.heading`,
    );
    result.speed = readings.add(FIELDS.speed, scalarAt(hf, "speed", hfPath, "speedValue"), `${hfPath}.speed`);
    result.longitudinalAcceleration = readings.add(
      FIELDS.longitudinalAcceleration,
      scalarAt(hf, "longitudinalAcceleration", hfPath, "longitudinalAccelerationValue"),
      `${hfPath}.longitudinalAcceleration`,
    );
    result.yawRate = readings.add(
      FIELDS.yawRate,
      scalarAt(hf, "yawRate", hfPath, "yawRateValue"),
      `${hfPath}.yawRate`,
    );
    result.length = readings.add(
      FIELDS.vehicleLength,
      scalarAt(hf, "vehicleLength", hfPath, "vehicleLengthValue"),
      `${hfPath}.vehicleLength`,
    );
    result.width = readings.add(
      FIELDS.vehicleWidth,
      scalarAt(hf, "vehicleWidth", hfPath, "vehicleWidthValue"),
      `${hfPath}.vehicleWidth`,
    );
  }

  const lfContainer = objectAt(container, "lowFrequencyContainer", paramsPath);
  const lfContainerPath = joinPath(paramsPath, "lowFrequencyContainer");
  const lf = objectAt(lfContainer, "basicVehicleContainerLowFrequency", lfContainerPath) ?? lfContainer;
  if (lf !== undefined) {
    // The low-frequency container is optional extra: a malformed one is dropped, the CAM kept.
    try {
      const lights = lightsOn(lf.exteriorLights, `${lfContainerPath}.exteriorLights`);
      if (lights !== undefined) result.exteriorLights = lights;
    } catch (error) {
      readings.drop(`${lfContainerPath}.exteriorLights`, "malformed", failureReason(error));
    }
  }
  return result;
}

function readFlatCam(body: JsonObject, path: string): KinematicsReadings {
  const readings = new Readings();
  const at = (key: string): string => joinPath(path, key);
  const result: KinematicsReadings = {
    readings,
    latitude: readings.add(FIELDS.latitude, numberAt(body, "latitude", path), at("latitude")),
    longitude: readings.add(FIELDS.longitude, numberAt(body, "longitude", path), at("longitude")),
    altitude: readings.add(
      FIELDS.altitude,
      scalarAt(body, "altitude", path, "altitudeValue"),
      at("altitude"),
    ),
    speed: readings.add(FIELDS.speed, scalarAt(body, "speed", path, "speedValue"), at("speed")),
    heading: readings.add(FIELDS.heading, scalarAt(body, "heading", path, "headingValue"), at("heading")),
    longitudinalAcceleration: readings.add(
      FIELDS.longitudinalAcceleration,
      numberAt(body, "acceleration", path) ?? numberAt(body, "longitudinalAcceleration", path),
      at("acceleration"),
    ),
    yawRate: readings.add(FIELDS.yawRate, numberAt(body, "yawRate", path), at("yawRate")),
    length: readings.add(FIELDS.vehicleLength, numberAt(body, "length", path), at("length")),
    width: readings.add(FIELDS.vehicleWidth, numberAt(body, "width", path), at("width")),
  };
  const stationTypeCode = numberAt(body, "stationType", path);
  if (stationTypeCode !== undefined) result.stationTypeCode = stationTypeCode;
  return result;
}

/** Converts the readings in the decided unit system; only available values are set. */
export function convertKinematics(read: KinematicsReadings, units: UnitSystem): Kinematics {
  const out: Kinematics = {};
  const position = positionOf(read.latitude, read.longitude, read.altitude, units);
  if (position !== undefined) out.position = position;
  const speed = toSI(read.speed, units);
  if (speed !== undefined) out.speed = speed;
  const heading = toSI(read.heading, units);
  if (heading !== undefined) out.heading = heading;
  const acceleration = toSI(read.longitudinalAcceleration, units);
  if (acceleration !== undefined) out.longitudinalAcceleration = acceleration;
  const yawRate = toSI(read.yawRate, units);
  if (yawRate !== undefined) out.yawRate = yawRate;
  const length = toSI(read.length, units);
  if (length !== undefined) out.length = length;
  const width = toSI(read.width, units);
  if (width !== undefined) out.width = width;
  if (read.exteriorLights !== undefined) out.exteriorLights = read.exteriorLights;
  return out;
}
