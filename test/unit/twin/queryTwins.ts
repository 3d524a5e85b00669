/** Twins at known distances and bearings from one point, for the query tests. */
import { destinationPoint } from "../../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../../functions/lib/geo/types.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { twinAt } from "../geofence/tracks.ts";

export const P: LatLon = { lat: 40.63, lon: -8.65 };
export const T0 = Date.parse("2026-12-03T10:00:00.000Z");

/** A twin `metres` from P on `bearing`; `metres` undefined: no position. */
export function placed(
  id: string,
  metres: number | undefined,
  bearing: number,
  overrides: Partial<Twin> = {},
): Twin {
  const twin = twinAt(0, 0, { id, lastSeen: new Date(T0).toISOString(), ...overrides });
  if (metres === undefined) delete twin.position;
  else twin.position = destinationPoint(P, bearing, metres);
  return twin;
}

/**
 * 1 at P; 3 100 m north; 2 250 m east; 10 400 m south; 11 without a position; 20 2 km west.
 * Ids and distances are in different orders on purpose.
 */
export function fixtureTwins(): Twin[] {
  const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
  return [
    placed("1", 0, 0, { mec: "mec-a", stationType: "passengerCar", lastSeen: at(10) }),
    placed("2", 250, 90, { mec: "mec-a", stationType: "bus", liveness: "stale", lastSeen: at(0) }),
    placed("3", 100, 0, { mec: "mec-b", stationType: "passengerCar", status: "migrating", lastSeen: at(20) }),
    placed("10", 400, 180, { mec: "mec-b", stationType: "roadSideUnit", lastSeen: at(30) }),
    placed("11", undefined, 0, { mec: "mec-a", stationType: "passengerCar", lastSeen: at(40) }),
    placed("20", 2_000, 270, { mec: "mec-a", stationType: "passengerCar", lastSeen: at(50) }),
  ];
}
