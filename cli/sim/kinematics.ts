/**
 * How a simulated vehicle moves along a closed route: cruise at its own speed, brake before
 * sharp turns so it takes them at a plausible speed, accelerate out of them. Pure functions.
 */
import { bearingDeg, destinationPoint, distanceM } from "../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../functions/lib/geo/types.ts";
import type { Route } from "./routes.ts";

export interface RouteGeometry {
  route: Route;
  points: LatLon[];
  /** Length of segment i (points[i] to points[i+1], wrapping), metres. */
  segmentLengths: number[];
  /** Distance from the start to points[i], metres. */
  cumulative: number[];
  lengthM: number;
  /** Bearing of segment i, degrees. */
  bearings: number[];
  /** Speed at which a vehicle takes the corner at the end of segment i, m/s. */
  cornerSpeeds: number[];
}

const COMFORT_DECELERATION = 2; // m/s^2
const COMFORT_ACCELERATION = 1.5; // m/s^2

function turnAngle(from: number, to: number): number {
  const delta = Math.abs(to - from) % 360;
  return delta > 180 ? 360 - delta : delta;
}

/** Corner speed from the turn angle: straight on at cruise, a right angle at about 18 km/h. */
export function cornerSpeed(cruise: number, turnDeg: number): number {
  const factor = Math.max(0, 1 - turnDeg / 100);
  return Math.max(4, cruise * factor);
}

export function routeGeometry(route: Route): RouteGeometry {
  if (route.points.length < 2) throw new Error(`route ${route.id} needs at least two points`);
  const points = route.points.map(([lon, lat]) => ({ lat, lon }));
  const n = points.length;
  const segmentLengths: number[] = [];
  const bearings: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = points[i] as LatLon;
    const b = points[(i + 1) % n] as LatLon;
    segmentLengths.push(distanceM(a, b));
    bearings.push(bearingDeg(a, b));
  }
  const cumulative: number[] = [];
  let total = 0;
  for (const length of segmentLengths) {
    cumulative.push(total);
    total += length;
  }
  const cornerSpeeds = bearings.map((bearing, i) =>
    cornerSpeed(route.cruiseSpeed, turnAngle(bearing, bearings[(i + 1) % n] as number)),
  );
  return { route, points, segmentLengths, cumulative, lengthM: total, bearings, cornerSpeeds };
}

/** Index of the segment containing `distance` (already folded into [0, length)). */
function segmentAt(geometry: RouteGeometry, distance: number): number {
  let low = 0;
  let high = geometry.cumulative.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((geometry.cumulative[mid] as number) <= distance) low = mid;
    else high = mid - 1;
  }
  return low;
}

export function foldDistance(geometry: RouteGeometry, distance: number): number {
  return ((distance % geometry.lengthM) + geometry.lengthM) % geometry.lengthM;
}

export interface RoutePoint {
  position: LatLon;
  /** Direction of travel, degrees clockwise from north. */
  heading: number;
  segment: number;
  /** Metres left to the end of the segment (the next corner). */
  toCornerM: number;
}

/** Where a vehicle is after `distance` metres along the loop, driving forwards or backwards. */
export function pointAlong(geometry: RouteGeometry, distance: number, reverse = false): RoutePoint {
  const folded = foldDistance(geometry, distance);
  // Driving the loop backwards is driving forwards from the same start in the other direction.
  const along = reverse ? foldDistance(geometry, geometry.lengthM - folded) : folded;
  const segment = segmentAt(geometry, along);
  const into = along - (geometry.cumulative[segment] as number);
  const bearing = geometry.bearings[segment] as number;
  const position = destinationPoint(geometry.points[segment] as LatLon, bearing, into);
  const length = geometry.segmentLengths[segment] as number;
  if (!reverse) return { position, heading: bearing, segment, toCornerM: Math.max(0, length - into) };
  return { position, heading: (bearing + 180) % 360, segment, toCornerM: Math.max(0, into) };
}

export interface VehicleMotion {
  /** Metres driven since the start of the loop. */
  distanceM: number;
  speed: number; // m/s
  acceleration: number; // m/s^2
  /** This vehicle's cruising speed (drivers differ). */
  cruiseSpeed: number;
  reverse: boolean;
}

/** The corner speed ahead of a vehicle, for its direction of travel. */
function nextCornerSpeed(geometry: RouteGeometry, point: RoutePoint, reverse: boolean): number {
  const n = geometry.cornerSpeeds.length;
  const corner = reverse ? (point.segment - 1 + n) % n : point.segment;
  return geometry.cornerSpeeds[corner] as number;
}

/** Advances a vehicle by `dtS` seconds. */
export function stepMotion(geometry: RouteGeometry, motion: VehicleMotion, dtS: number): VehicleMotion {
  if (dtS <= 0) return motion;
  const here = pointAlong(geometry, motion.distanceM, motion.reverse);
  const corner = Math.min(motion.cruiseSpeed, nextCornerSpeed(geometry, here, motion.reverse));
  // Fastest speed from which the vehicle can still brake to the corner speed in time.
  const brakingLimit = Math.sqrt(corner * corner + 2 * COMFORT_DECELERATION * here.toCornerM);
  const target = Math.min(motion.cruiseSpeed, brakingLimit);
  const wanted = (target - motion.speed) / dtS;
  const acceleration = Math.max(-COMFORT_DECELERATION * 1.5, Math.min(COMFORT_ACCELERATION, wanted));
  const speed = Math.max(0, motion.speed + acceleration * dtS);
  const travelled = ((motion.speed + speed) / 2) * dtS;
  return { ...motion, distanceM: motion.distanceM + travelled, speed, acceleration };
}

/** Routes turn at points; a real car turns on an arc of at least ~8 m radius, which bounds its yaw rate. */
export function clampYawRate(degreesPerS: number, speed: number): number {
  const limit = Math.min(100, ((speed / 8) * 180) / Math.PI);
  return Math.max(-limit, Math.min(limit, degreesPerS));
}

/** Distance along the loop (from `fromM`, in the direction of travel) where the zone first changes. */
export function nextBorderM(
  geometry: RouteGeometry,
  fromM: number,
  reverse: boolean,
  zoneOf: (position: LatLon) => string | undefined,
): number | undefined {
  const stepM = 10;
  const startZone = zoneOf(pointAlong(geometry, fromM, reverse).position);
  for (let along = stepM; along <= geometry.lengthM; along += stepM) {
    if (zoneOf(pointAlong(geometry, fromM + along, reverse).position) !== startZone) return fromM + along;
  }
  return undefined;
}
