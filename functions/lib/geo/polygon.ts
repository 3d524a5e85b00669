/**
 * Point-in-polygon and distance-to-boundary for GeoJSON Polygon / MultiPolygon (with holes).
 *
 * Containment uses even-odd ray crossing over all rings, with each edge evaluated in a fixed
 * (south-to-north) direction and half-open in latitude. Two zones that share an edge therefore
 * compute the very same crossing for it, so a point on a shared border belongs to exactly one
 * of them: a vehicle on the line between two MECs is never in both and never in neither.
 * Points on a zone's eastern or northern boundary count as outside it.
 */
import { EARTH_RADIUS_M } from "./sphere.ts";
import { type BBox, type LatLon, type LinearRing, polygonsOf, type ZoneGeometry } from "./types.ts";

/** Whether the ring's edges cross a ray from (x, y) towards +x an odd number of times. */
export function ringCrossesOdd(ring: LinearRing, x: number, y: number): boolean {
  let odd = false;
  for (let i = 0; i + 1 < ring.length; i++) {
    const p = ring[i] as number[];
    const q = ring[i + 1] as number[];
    if (crosses(p[0] as number, p[1] as number, q[0] as number, q[1] as number, x, y)) odd = !odd;
  }
  return odd;
}

/**
 * Whether the edge (ax, ay)-(bx, by) crosses the ray from (x, y) towards +x. The edge is
 * always taken from its southern end, so both zones sharing it get the identical answer.
 */
export function crosses(ax: number, ay: number, bx: number, by: number, x: number, y: number): boolean {
  const southFirst = ay <= by;
  const x0 = southFirst ? ax : bx;
  const y0 = southFirst ? ay : by;
  const x1 = southFirst ? bx : ax;
  const y1 = southFirst ? by : ay;
  if (!(y0 <= y && y < y1)) return false;
  return x < x0 + ((y - y0) * (x1 - x0)) / (y1 - y0);
}

/** Whether the point lies inside the Polygon or MultiPolygon (holes excluded). */
export function pointInGeometry(geometry: ZoneGeometry, point: LatLon): boolean {
  for (const rings of polygonsOf(geometry)) {
    let odd = false;
    for (const ring of rings) if (ringCrossesOdd(ring, point.lon, point.lat)) odd = !odd;
    if (odd) return true;
  }
  return false;
}

/** The bounding box of all rings (holes too, so even a malformed hole cannot escape the index). */
export function bboxOf(geometry: ZoneGeometry): BBox {
  const box: BBox = { west: Infinity, south: Infinity, east: -Infinity, north: -Infinity };
  for (const rings of polygonsOf(geometry)) {
    for (const position of rings.flat()) {
      const lon = position[0] as number;
      const lat = position[1] as number;
      if (lon < box.west) box.west = lon;
      if (lon > box.east) box.east = lon;
      if (lat < box.south) box.south = lat;
      if (lat > box.north) box.north = lat;
    }
  }
  return box;
}

/**
 * Metres per degree of longitude and latitude in a local equirectangular projection around
 * `origin`. Accurate to well under 1% over the tens of kilometres a MEC zone spans.
 */
export function localScale(origin: LatLon): { mPerDegLon: number; mPerDegLat: number } {
  const mPerDegLat = (EARTH_RADIUS_M * Math.PI) / 180;
  return { mPerDegLat, mPerDegLon: mPerDegLat * Math.cos((origin.lat * Math.PI) / 180) };
}

/** Distance in metres from the point to the nearest edge of any ring (outer or hole). */
export function distanceToBoundaryM(geometry: ZoneGeometry, point: LatLon): number {
  const { mPerDegLon, mPerDegLat } = localScale(point);
  let best = Infinity;
  for (const rings of polygonsOf(geometry)) {
    for (const ring of rings) {
      for (let i = 0; i + 1 < ring.length; i++) {
        const p = ring[i] as number[];
        const q = ring[i + 1] as number[];
        const d = segmentDistanceFromOrigin(
          ((p[0] as number) - point.lon) * mPerDegLon,
          ((p[1] as number) - point.lat) * mPerDegLat,
          ((q[0] as number) - point.lon) * mPerDegLon,
          ((q[1] as number) - point.lat) * mPerDegLat,
        );
        if (d < best) best = d;
      }
    }
  }
  return best;
}

/** Distance from (0, 0) to the segment (ax, ay)-(bx, by) in the plane. */
function segmentDistanceFromOrigin(ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / lengthSquared));
  return Math.hypot(ax + t * dx, ay + t * dy);
}

/**
 * Distance in metres from the point to the box (0 inside it), in the same local projection
 * as distanceToBoundaryM, so it is a lower bound of the distance to anything in the box.
 */
export function distanceToBBoxM(box: BBox, point: LatLon): number {
  const { mPerDegLon, mPerDegLat } = localScale(point);
  const dLon = point.lon < box.west ? box.west - point.lon : point.lon > box.east ? point.lon - box.east : 0;
  const dLat =
    point.lat < box.south ? box.south - point.lat : point.lat > box.north ? point.lat - box.north : 0;
  return Math.hypot(dLon * mPerDegLon, dLat * mPerDegLat);
}

/** A geometry's rings flattened to [lon0, lat0, lon1, lat1, ...]: polygons, each [outer, ...holes]. */
export type FlatPolygons = Float64Array[][];

/** Flattens a geometry for fast repeated tests; throws when a position is not two finite numbers. */
export function flattenGeometry(name: string, geometry: ZoneGeometry): FlatPolygons {
  return polygonsOf(geometry).map((rings) =>
    rings.map((ring) => {
      const flat = new Float64Array(ring.length * 2);
      ring.forEach((position, i) => {
        const lon = position[0];
        const lat = position[1];
        if (!Number.isFinite(lon) || !Number.isFinite(lat)) {
          throw new Error(`${name}: a position is not [lon, lat]: ${JSON.stringify(position)}`);
        }
        flat[2 * i] = lon as number;
        flat[2 * i + 1] = lat as number;
      });
      return flat;
    }),
  );
}

/** pointInGeometry on flattened rings, with the very same arithmetic (so the answers agree). */
export function flatContains(polygons: FlatPolygons, x: number, y: number): boolean {
  for (const rings of polygons) {
    let odd = false;
    for (const ring of rings) {
      for (let i = 0; i + 3 < ring.length; i += 2) {
        if (
          crosses(
            ring[i] as number,
            ring[i + 1] as number,
            ring[i + 2] as number,
            ring[i + 3] as number,
            x,
            y,
          )
        ) {
          odd = !odd;
        }
      }
    }
    if (odd) return true;
  }
  return false;
}
