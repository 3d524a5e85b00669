/**
 * A CPM's perceived objects, in both generations: read from their JSON (x/yDistance of TR 103 562,
 * position.x/yCoordinate of TS 103 324, cartesian or polar velocity, zAngle, classification), one
 * at a time so that a malformed object is dropped alone, then placed in lat/lon: x east and y north
 * of the reference position in metres (raw: 0.01 m), not turned by the station's heading, on the
 * WGS84 ellipsoid. Speeds (raw 0.01 m/s) become a speed and a direction of travel.
 */
import { normalizeDeg } from "../geo/sphere.ts";
import { offsetPosition } from "../geo/wgs84.ts";
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
import { FIELDS, type Reading, type Readings, toSI } from "./units.ts";

export interface ObjectReadings {
  objectId: number;
  /** Where the object sits in the payload, for the reason when it is dropped. */
  path: string;
  x?: Reading;
  y?: Reading;
  vx?: Reading;
  vy?: Reading;
  speed?: Reading;
  direction?: Reading;
  orientation?: Reading;
  classification?: string;
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
    path,
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

/** Reads each object on its own: a malformed one is dropped with its reason, the others kept. */
export function readObjects(
  readings: Readings,
  list: unknown[] | undefined,
  path: string,
  into: ObjectReadings[],
): void {
  if (list === undefined) return;
  for (let i = 0; i < list.length; i++) {
    const itemPath = `${path}.${i}`;
    const before = readings.items.length;
    try {
      const object = readObject(readings, list[i], into.length, itemPath);
      if (object !== undefined) into.push(object);
      else readings.drop(itemPath, "malformed", "a perceived object is a JSON object");
    } catch (error) {
      readings.items.length = before;
      readings.drop(itemPath, "malformed", failureReason(error));
    }
  }
}

/** Objects listed under `key` as an array, or as {perceivedObjects: [...]}. */
export function objectListAt(
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

const DEG = 180 / Math.PI;

export function convertObject(
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
    const point = offsetPosition(reference, x, y);
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
