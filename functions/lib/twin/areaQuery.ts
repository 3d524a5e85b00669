/**
 * Twins in an area, answered from a MEC's NeighbourIndex (the grid that finds neighbours): a
 * circle (`near`) or a box of latitudes and longitudes (`bbox`). Only the cells that overlap the
 * area are visited; where the grid cannot serve (near a pole, across the antimeridian, an area
 * wider than there are twins) every twin is looked at. Either way the answer is exact: each
 * candidate is checked against the area itself (great-circle distance for a circle).
 */
import { distanceM } from "../geo/sphere.ts";
import type { BBox } from "../geo/types.ts";
import type { NeighbourIndex, Visit } from "./neighbours.ts";
import type { Circle } from "./state/twinQuery.ts";

export type { Circle };

export interface AreaHit {
  id: string;
  /** Great-circle metres from the circle's centre; absent for a box. */
  distanceM?: number;
}

const METRES_PER_DEGREE = 111_320;
/** The flat box around a circle is widened by this, as the sphere's degrees are not quite flat. */
const BOX_SLACK = 1.02;
/** Beyond this latitude the grid's cells are capped in width; a scan is simpler and exact. */
const GRID_MAX_ABS_LAT = 85;
const FLAT_MAX_REACH_M = 10_000;

/** The twins whose great-circle distance from the centre is at most the radius (unordered). */
export function twinsWithin(index: NeighbourIndex, circle: Circle): AreaHit[] {
  const hits: AreaHit[] = [];
  const centre = { lat: circle.lat, lon: circle.lon };
  const point = { lat: 0, lon: 0 };
  // Flat metres first: the cells' corners beyond the radius are dropped without the great circle.
  const metresPerDegreeLon = METRES_PER_DEGREE * Math.cos((circle.lat * Math.PI) / 180);
  const flatReach = (circle.radiusM * BOX_SLACK) ** 2;
  // Flat and great-circle metres agree within 1% up to 10 km from the centre below 85 degrees.
  const flatUsable = circle.radiusM <= FLAT_MAX_REACH_M && Math.abs(circle.lat) < GRID_MAX_ABS_LAT;
  const visit: Visit = (id, lat, lon) => {
    const dy = (lat - centre.lat) * METRES_PER_DEGREE;
    const dx = (lon - centre.lon) * metresPerDegreeLon;
    if (flatUsable && dx * dx + dy * dy > flatReach) return;
    point.lat = lat;
    point.lon = lon;
    const distance = distanceM(centre, point);
    if (distance <= circle.radiusM) hits.push({ id, distanceM: distance });
  };
  const latDeg = (circle.radiusM * BOX_SLACK) / METRES_PER_DEGREE;
  const poleward = Math.abs(circle.lat) + latDeg;
  if (poleward >= GRID_MAX_ABS_LAT) {
    index.forEach(visit);
    return hits;
  }
  const lonDeg = latDeg / Math.cos((poleward * Math.PI) / 180);
  const west = circle.lon - lonDeg;
  const east = circle.lon + lonDeg;
  if (
    west < -180 ||
    east > 180 ||
    !index.forEachInCells(circle.lat - latDeg, west, circle.lat + latDeg, east, visit)
  ) {
    index.forEach(visit);
  }
  return hits;
}

/** The twins inside the box, edges included (unordered). The box must not wrap: west <= east. */
export function twinsInBox(index: NeighbourIndex, box: BBox): AreaHit[] {
  const hits: AreaHit[] = [];
  const visit: Visit = (id, lat, lon) => {
    if (lat >= box.south && lat <= box.north && lon >= box.west && lon <= box.east) hits.push({ id });
  };
  const usable = Math.max(Math.abs(box.south), Math.abs(box.north)) < GRID_MAX_ABS_LAT;
  if (!usable || !index.forEachInCells(box.south, box.west, box.north, box.east, visit)) index.forEach(visit);
  return hits;
}
