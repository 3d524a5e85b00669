/**
 * CPM, in its two generations:
 *   TR 103 562 (v1): cpmParameters.{managementContainer.{stationType, referencePosition},
 *     stationDataContainer.originatingVehicleContainer.{heading, speed},
 *     perceivedObjectContainer: [{objectID, xDistance.value, yDistance.value, xSpeed.value, ySpeed.value,
 *     classification}]} (items sometimes wrapped as {"PerceivedObject": {...}})
 *   TS 103 324 (v2, vanetza-nap `payload`): {managementContainer.referencePosition, cpmContainers: [
 *     {containerId, containerData: {OriginatingVehicleContainer: {orientationAngle}} |
 *     {PerceivedObjectContainer: {perceivedObjects: [{objectId, position.{xCoordinate, yCoordinate}.value,
 *     velocity.cartesianVelocity.{xVelocity, yVelocity}.value | velocity.polarVelocity, angles.zAngle}]}}]}
 *     vanetza-nap and X.697 write containerData bare: {orientationAngle} for id 1, the sensor
 *     array for id 3, {numberOfPerceivedObjects, perceivedObjects} for id 5 (the array counts).
 * A malformed object or container is dropped with its reason and the rest kept; the originating
 * RSU (2), sensor information (3) and perception region (4) containers are not used.
 * The objects themselves are read and placed in cpmObjects.ts.
 */
import { convertObject, type ObjectReadings, objectListAt, readObjects } from "./cpmObjects.ts";
import { positionOf, readPosition } from "./kinematics.ts";
import {
  arrayAt,
  failureReason,
  isObject,
  type JsonObject,
  joinPath,
  numberAt,
  objectAt,
  scalarAt,
} from "./read.ts";
import type { PerceivedObject, Position, UnitSystem } from "./types.ts";
import { FIELDS, type Reading, Readings, toSI } from "./units.ts";

export interface CpmReadings {
  readings: Readings;
  latitude?: Reading;
  longitude?: Reading;
  altitude?: Reading;
  heading?: Reading;
  speed?: Reading;
  stationTypeCode?: number;
  objects: ObjectReadings[];
}

export interface CpmFields {
  referencePosition?: Position;
  heading?: number;
  speed?: number;
  perceivedObjects: PerceivedObject[];
}

/** TR 103 562 containers that vvcu does not read. */
const V1_UNUSED = ["sensorInformationContainer", "freeSpaceAddendumContainer"] as const;

/** TS 103 324 CpmContainerId values and their container names. */
const CONTAINER_NAMES: Record<number, string> = {
  1: "originatingVehicleContainer",
  2: "originatingRsuContainer",
  3: "sensorInformationContainer",
  4: "perceptionRegionContainer",
  5: "perceivedObjectContainer",
};
const UNUSED_CONTAINERS = new Set([2, 3, 4]);

/**
 * One {containerId, containerData} entry. containerData is the container itself (X.697 writes an
 * open type's value bare; the sensor information container is an array), or, as some encoders
 * write it, wrapped in a key named after the container.
 */
function readContainer(result: CpmReadings, entry: unknown, entryPath: string): void {
  const readings = result.readings;
  if (!isObject(entry)) {
    readings.drop(entryPath, "malformed", "a CPM container is an object {containerId, containerData}");
    return;
  }
  const id = typeof entry.containerId === "number" ? entry.containerId : undefined;
  const name = id === undefined ? undefined : CONTAINER_NAMES[id];
  const data = entry.containerData;
  const dataPath = `${entryPath}.containerData`;
  if (id !== undefined && UNUSED_CONTAINERS.has(id)) {
    readings.drop(dataPath, "unused", `${name} (containerId ${id}): vvcu does not use it`);
    return;
  }
  if (!isObject(data)) {
    const what = id === undefined ? "a container without a numeric containerId" : `containerId ${id}`;
    readings.drop(
      dataPath,
      id === undefined || name === undefined ? "unknown" : "malformed",
      `${what}: containerData is not an object`,
    );
    return;
  }
  const wrappedVehicle = objectAt(data, "OriginatingVehicleContainer", dataPath);
  const wrappedObjects = data.PerceivedObjectContainer !== undefined;
  if (id === 1 || wrappedVehicle !== undefined || (id === undefined && data.orientationAngle !== undefined)) {
    const originating = wrappedVehicle ?? data;
    const originatingPath =
      wrappedVehicle === undefined ? dataPath : `${dataPath}.OriginatingVehicleContainer`;
    if (result.heading === undefined) {
      result.heading = readings.add(
        FIELDS.angle,
        scalarAt(originating, "orientationAngle", originatingPath, "value"),
        `${originatingPath}.orientationAngle`,
      );
    }
    return;
  }
  if (id === 5 || wrappedObjects || (id === undefined && data.perceivedObjects !== undefined)) {
    const [objects, objectsPath] = objectListAt(data, "PerceivedObjectContainer", dataPath);
    if (objects !== undefined) readObjects(readings, objects, objectsPath, result.objects);
    else
      readObjects(
        readings,
        arrayAt(data, "perceivedObjects", dataPath),
        `${dataPath}.perceivedObjects`,
        result.objects,
      );
    return;
  }
  readings.drop(
    dataPath,
    "unknown",
    id === undefined
      ? "a container without a known containerId"
      : `containerId ${id} is not a TS 103 324 container vvcu knows`,
  );
}

export function readCpm(body: JsonObject, bodyPath: string): CpmReadings {
  const readings = new Readings();
  const params = objectAt(body, "cpmParameters", bodyPath);
  const container = params ?? body;
  const path = params === undefined ? bodyPath : joinPath(bodyPath, "cpmParameters");
  const management = objectAt(container, "managementContainer", path);
  const managementPath = joinPath(path, "managementContainer");
  const reference = objectAt(management, "referencePosition", managementPath);
  const result: CpmReadings = {
    readings,
    ...readPosition(readings, reference, `${managementPath}.referencePosition`),
    objects: [],
  };
  const stationTypeCode = numberAt(management, "stationType", managementPath);
  if (stationTypeCode !== undefined) result.stationTypeCode = stationTypeCode;

  const stationData = objectAt(container, "stationDataContainer", path);
  const vehiclePath = joinPath(path, "stationDataContainer.originatingVehicleContainer");
  const vehicle = objectAt(
    stationData,
    "originatingVehicleContainer",
    joinPath(path, "stationDataContainer"),
  );
  result.heading = readings.add(
    FIELDS.heading,
    scalarAt(vehicle, "heading", vehiclePath, "headingValue"),
    `${vehiclePath}.heading`,
  );
  result.speed = readings.add(
    FIELDS.speed,
    scalarAt(vehicle, "speed", vehiclePath, "speedValue"),
    `${vehiclePath}.speed`,
  );

  const [v1Objects, v1Path] = objectListAt(container, "perceivedObjectContainer", path);
  readObjects(readings, v1Objects, v1Path, result.objects);
  if (v1Objects === undefined)
    readObjects(
      readings,
      arrayAt(container, "perceivedObjects", path),
      joinPath(path, "perceivedObjects"),
      result.objects,
    );

  for (const key of V1_UNUSED) {
    if (container[key] !== undefined && container[key] !== null)
      readings.drop(joinPath(path, key), "unused", `${key}: vvcu does not use it`);
  }
  const containers = arrayAt(container, "cpmContainers", path) ?? [];
  for (let i = 0; i < containers.length; i++) {
    const entryPath = joinPath(path, `cpmContainers.${i}`);
    try {
      readContainer(result, containers[i], entryPath);
    } catch (error) {
      readings.drop(entryPath, "malformed", failureReason(error));
    }
  }
  return result;
}

export function convertCpm(read: CpmReadings, units: UnitSystem): CpmFields {
  const out: CpmFields = { perceivedObjects: [] };
  const reference = positionOf(read.latitude, read.longitude, read.altitude, units);
  if (reference !== undefined) out.referencePosition = reference;
  const heading = toSI(read.heading, units);
  if (heading !== undefined) out.heading = heading;
  const speed = toSI(read.speed, units);
  if (speed !== undefined) out.speed = speed;
  for (const object of read.objects) {
    try {
      out.perceivedObjects.push(convertObject(object, reference, units));
    } catch (error) {
      read.readings.drop(object.path, "malformed", failureReason(error));
    }
  }
  return out;
}
