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
 * Object offsets are taken as x east and y north of the reference position, in metres
 * (raw: 0.01 m), and turned into lat/lon along the great circle; speeds (raw 0.01 m/s) become
 * a speed and a direction of travel.
 */
import { destinationPoint, normalizeDeg } from "../geo/sphere.ts";
import { positionOf, readPosition } from "./kinematics.ts";
import { arrayAt, isObject, type JsonObject, joinPath, numberAt, objectAt, scalarAt } from "./read.ts";
import type { PerceivedObject, Position, UnitSystem } from "./types.ts";
import { FIELDS, type Reading, Readings, toSI } from "./units.ts";

interface ObjectReadings {
  objectId: number;
  x?: Reading;
  y?: Reading;
  vx?: Reading;
  vy?: Reading;
  speed?: Reading;
  direction?: Reading;
  orientation?: Reading;
  classification?: string;
}

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

function classificationOf(item: JsonObject, path: string): string | undefined {
  const classes = arrayAt(item, "classification", path);
  const first = classes?.[0];
  if (!isObject(first)) return undefined;
  const choice = isObject(first.objectClass)
    ? first.objectClass
    : isObject(first.class)
      ? first.class
      : undefined;
  if (choice === undefined) return undefined;
  for (const key in choice) return key.replace(/SubClass$/, "");
  return undefined;
}

function readObject(
  readings: Readings,
  raw: unknown,
  index: number,
  path: string,
): ObjectReadings | undefined {
  if (!isObject(raw)) return undefined;
  const wrapped = objectAt(raw, "PerceivedObject", path);
  const item = wrapped ?? raw;
  const itemPath = wrapped === undefined ? path : `${path}.PerceivedObject`;
  const at = (key: string): string => `${itemPath}.${key}`;
  const object: ObjectReadings = {
    objectId: numberAt(item, "objectId", itemPath) ?? numberAt(item, "objectID", itemPath) ?? index,
  };
  const position = objectAt(item, "position", itemPath);
  object.x = readings.add(
    FIELDS.objectDistance,
    scalarAt(item, "xDistance", itemPath, "value") ??
      scalarAt(position, "xCoordinate", at("position"), "value"),
    position === undefined ? at("xDistance") : at("position.xCoordinate"),
  );
  object.y = readings.add(
    FIELDS.objectDistance,
    scalarAt(item, "yDistance", itemPath, "value") ??
      scalarAt(position, "yCoordinate", at("position"), "value"),
    position === undefined ? at("yDistance") : at("position.yCoordinate"),
  );
  const velocity = objectAt(item, "velocity", itemPath);
  const cartesian = objectAt(velocity, "cartesianVelocity", at("velocity"));
  const polar = objectAt(velocity, "polarVelocity", at("velocity"));
  object.vx = readings.add(
    FIELDS.objectSpeed,
    scalarAt(item, "xSpeed", itemPath, "value") ??
      scalarAt(cartesian, "xVelocity", at("velocity.cartesianVelocity"), "value"),
    at("xSpeed"),
  );
  object.vy = readings.add(
    FIELDS.objectSpeed,
    scalarAt(item, "ySpeed", itemPath, "value") ??
      scalarAt(cartesian, "yVelocity", at("velocity.cartesianVelocity"), "value"),
    at("ySpeed"),
  );
  if (polar !== undefined) {
    const polarPath = at("velocity.polarVelocity");
    object.speed = readings.add(
      FIELDS.speed,
      scalarAt(polar, "velocityMagnitude", polarPath, "speedValue"),
      polarPath,
    );
    object.direction = readings.add(
      FIELDS.angle,
      scalarAt(polar, "velocityDirection", polarPath, "value"),
      polarPath,
    );
  }
  const angles = objectAt(item, "angles", itemPath);
  object.orientation = readings.add(
    FIELDS.angle,
    scalarAt(angles, "zAngle", at("angles"), "value"),
    at("angles.zAngle"),
  );
  const classification = classificationOf(item, itemPath);
  if (classification !== undefined) object.classification = classification;
  return object;
}

function readObjects(
  readings: Readings,
  list: unknown[] | undefined,
  path: string,
  into: ObjectReadings[],
): void {
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    const object = readObject(readings, list[i], into.length, `${path}.${i}`);
    if (object !== undefined) into.push(object);
  }
}

/** Objects listed under `key` as an array, or as {perceivedObjects: [...]}. */
function objectListAt(
  parent: JsonObject | undefined,
  key: string,
  path: string,
): [unknown[] | undefined, string] {
  const value = parent?.[key];
  if (Array.isArray(value)) return [value, joinPath(path, key)];
  const container = objectAt(parent, key, path);
  return [
    arrayAt(container, "perceivedObjects", joinPath(path, key)),
    joinPath(path, `${key}.perceivedObjects`),
  ];
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

  const containers = arrayAt(container, "cpmContainers", path) ?? [];
  for (let i = 0; i < containers.length; i++) {
    const entry = containers[i];
    if (!isObject(entry)) continue;
    const entryPath = joinPath(path, `cpmContainers.${i}.containerData`);
    const data = objectAt(entry, "containerData", joinPath(path, `cpmContainers.${i}`));
    if (data === undefined) continue;
    const originating = objectAt(data, "OriginatingVehicleContainer", entryPath) ?? data;
    const originatingPath = originating === data ? entryPath : `${entryPath}.OriginatingVehicleContainer`;
    if (result.heading === undefined && originating.orientationAngle !== undefined) {
      result.heading = readings.add(
        FIELDS.angle,
        scalarAt(originating, "orientationAngle", originatingPath, "value"),
        `${originatingPath}.orientationAngle`,
      );
    }
    const [objects, objectsPath] = objectListAt(data, "PerceivedObjectContainer", entryPath);
    if (objects !== undefined) readObjects(readings, objects, objectsPath, result.objects);
    else
      readObjects(
        readings,
        arrayAt(data, "perceivedObjects", entryPath),
        `${entryPath}.perceivedObjects`,
        result.objects,
      );
  }
  return result;
}

const DEG = 180 / Math.PI;

function convertObject(
  object: ObjectReadings,
  reference: Position | undefined,
  units: UnitSystem,
): PerceivedObject {
  const out: PerceivedObject = { objectId: object.objectId };
  const x = toSI(object.x, units);
  const y = toSI(object.y, units);
  if (x !== undefined) out.xDistance = x;
  if (y !== undefined) out.yDistance = y;
  if (reference !== undefined && x !== undefined && y !== undefined) {
    const point = destinationPoint(reference, normalizeDeg(Math.atan2(x, y) * DEG), Math.hypot(x, y));
    out.position = { lat: point.lat, lon: point.lon };
  }
  const vx = toSI(object.vx, units);
  const vy = toSI(object.vy, units);
  const orientation = toSI(object.orientation, units);
  if (vx !== undefined || vy !== undefined) {
    out.speed = Math.hypot(vx ?? 0, vy ?? 0);
    if (out.speed > 0) out.heading = normalizeDeg(Math.atan2(vx ?? 0, vy ?? 0) * DEG);
  } else {
    const speed = toSI(object.speed, units);
    if (speed !== undefined) out.speed = speed;
    const direction = toSI(object.direction, units);
    if (direction !== undefined) out.heading = direction;
  }
  if (out.heading === undefined && orientation !== undefined) out.heading = orientation;
  if (object.classification !== undefined) out.classification = object.classification;
  return out;
}

export function convertCpm(read: CpmReadings, units: UnitSystem): CpmFields {
  const out: CpmFields = { perceivedObjects: [] };
  const reference = positionOf(read.latitude, read.longitude, read.altitude, units);
  if (reference !== undefined) out.referencePosition = reference;
  const heading = toSI(read.heading, units);
  if (heading !== undefined) out.heading = heading;
  const speed = toSI(read.speed, units);
  if (speed !== undefined) out.speed = speed;
  for (const object of read.objects) out.perceivedObjects.push(convertObject(object, reference, units));
  return out;
}
