/** Which stations this MEC's bridge forwards. */
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { LatLon } from "./event.ts";

/**
 * Whether to forward a station's message: false, true, or "arriving" when a migration is bringing
 * the station's twin here and its host may not have marked it arriving yet (the event says so).
 */
export type Forwarding = boolean | "arriving";
export type ShouldForward = (stationId: string, position?: LatLon) => Forwarding;

export const forwardAll: ShouldForward = () => true;

export interface HomeFilterOptions {
  mec: string;
  homes: HomeRegistry;
  /** The MEC whose zone holds a position (the geo ZoneIndex), or undefined outside every zone. */
  zoneOfPosition: (lat: number, lon: number) => string | undefined;
  /**
   * For a registry that knows only this MEC's twins (a cluster: the informer sees this cluster's
   * twin CNFs): who hosts a station nobody here hosts is decided by where this bridge first saw it
   * (every MEC's bridge reads the same broker), not by where it stands now. Without it a vehicle
   * hosted by another MEC would get a second twin here the moment it drove into this zone.
   */
  firstSighting?: FirstSightingOptions;
}

export interface FirstSightingOptions {
  /** A station not seen for this long is new again (its twin has expired wherever it was). */
  forgetAfterMs: number;
  /** ms since the epoch (tests pass their own). */
  clock?: () => number;
}

/**
 * Forward a station's messages when its twin lives here, when this MEC receives them during a
 * migration (the target subscribes before the switch), or when the station is hosted nowhere yet
 * and stands in this MEC's zone (with `firstSighting`: stood in it when this bridge first saw
 * it), so that a new vehicle gets its twin here.
 */
export function homeFilter(options: HomeFilterOptions): ShouldForward {
  const { mec, homes, zoneOfPosition } = options;
  const firstSeenIn = options.firstSighting
    ? firstSightings(mec, homes, zoneOfPosition, options.firstSighting)
    : undefined;
  return (stationId, position) => {
    // Every message counts as a sighting, so a station hosted here is not new when it leaves.
    const sightedIn = firstSeenIn?.(stationId, position);
    const home = homes.homeOf(stationId);
    // A receiver that is not the home is the target of a running migration.
    if (homes.receiversOf(stationId).includes(mec)) return home === mec ? true : "arriving";
    if (home !== undefined) return false;
    if (firstSeenIn) return sightedIn === mec;
    return position !== undefined && zoneOfPosition(position.lat, position.lon) === mec;
  };
}

/**
 * The MEC whose zone each station was first seen in ("" once its twin left this MEC, so it is not
 * new here again), kept while the station keeps sending.
 */
function firstSightings(
  mec: string,
  homes: HomeRegistry,
  zoneOfPosition: (lat: number, lon: number) => string | undefined,
  options: FirstSightingOptions,
): (stationId: string, position: LatLon | undefined) => string | undefined {
  const clock = options.clock ?? Date.now;
  const sightings = new Map<string, { mec: string; lastSeenMs: number }>();
  let sweptAtMs = clock();
  homes.onChange((change) => {
    if (!change.receivers.includes(mec)) sightings.set(change.twin, { mec: "", lastSeenMs: clock() });
  });
  return (stationId, position) => {
    const now = clock();
    if (now - sweptAtMs > options.forgetAfterMs) {
      for (const [station, sighting] of sightings)
        if (now - sighting.lastSeenMs > options.forgetAfterMs) sightings.delete(station);
      sweptAtMs = now;
    }
    let sighting = sightings.get(stationId);
    if (sighting !== undefined && now - sighting.lastSeenMs > options.forgetAfterMs) sighting = undefined;
    if (sighting === undefined) {
      const zone = position === undefined ? undefined : zoneOfPosition(position.lat, position.lon);
      // Outside every zone (or no position): nobody's yet; the next message decides.
      if (zone === undefined) return undefined;
      sighting = { mec: zone, lastSeenMs: now };
      sightings.set(stationId, sighting);
    } else {
      sighting.lastSeenMs = now;
    }
    return sighting.mec;
  };
}
