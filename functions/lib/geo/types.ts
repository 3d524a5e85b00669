/**
 * Small GeoJSON geometry types (RFC 7946) for zones, and the {lat, lon} point used
 * everywhere else. GeoJSON positions are [lon, lat]; LatLon is named to avoid mixing them up.
 */

/** A point in WGS84 degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

/** A GeoJSON position: [longitude, latitude] in degrees (altitude, if any, is ignored). */
export type GeoJsonPosition = [number, number] | number[];
/** A closed ring: first and last positions are equal. */
export type LinearRing = GeoJsonPosition[];

export interface Polygon {
  type: "Polygon";
  /** The outer ring first, then holes. */
  coordinates: LinearRing[];
}

export interface MultiPolygon {
  type: "MultiPolygon";
  coordinates: LinearRing[][];
}

export type ZoneGeometry = Polygon | MultiPolygon;

/** An axis-aligned box in degrees. */
export interface BBox {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** The polygons of a geometry, each as [outer, ...holes]. */
export function polygonsOf(geometry: ZoneGeometry): LinearRing[][] {
  return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
}
