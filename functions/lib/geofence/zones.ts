/** The geofence's view of the MEC zones, over the foundation's ZoneIndex. */
import { distanceToBoundaryM } from "../geo/polygon.ts";
import type { LatLon } from "../geo/types.ts";
import { type Zone, ZoneIndex } from "../geo/zoneIndex.ts";
import type { ZoneLookup } from "./decide.ts";

export function zoneLookup(zones: readonly Zone[]): ZoneLookup {
  const index = new ZoneIndex(zones);
  return {
    containing: (point: LatLon) => index.containing(point.lat, point.lon),
    nearest: (point: LatLon) => index.nearest(point.lat, point.lon),
    borderDistanceM: (zone: string, point: LatLon) => {
      const geometry = index.zoneOf(zone)?.geometry;
      return geometry === undefined ? Number.POSITIVE_INFINITY : distanceToBoundaryM(geometry, point);
    },
  };
}
