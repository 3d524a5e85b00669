/** Which stations this MEC's bridge forwards. */
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { LatLon } from "./event.ts";

export type ShouldForward = (stationId: string, position?: LatLon) => boolean;

export const forwardAll: ShouldForward = () => true;

export interface HomeFilterOptions {
  mec: string;
  homes: HomeRegistry;
  /** The MEC whose zone holds a position (the geo ZoneIndex), or undefined outside every zone. */
  zoneOfPosition: (lat: number, lon: number) => string | undefined;
}

/**
 * Forward a station's messages when its twin lives here, when this MEC receives them during a
 * migration (the target subscribes before the switch), or when the station is hosted nowhere yet
 * and stands in this MEC's zone, so that a new vehicle gets its twin here.
 */
export function homeFilter(options: HomeFilterOptions): ShouldForward {
  const { mec, homes, zoneOfPosition } = options;
  return (stationId, position) => {
    if (homes.receiversOf(stationId).includes(mec)) return true;
    if (homes.homeOf(stationId) !== undefined) return false;
    return position !== undefined && zoneOfPosition(position.lat, position.lon) === mec;
  };
}
