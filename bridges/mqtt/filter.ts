/** Which stations this MEC's bridge forwards. */
import type { PlacementRegistry } from "../../functions/lib/runtime/placement.ts";
import type { LatLon } from "./event.ts";

export type ShouldForward = (stationId: string, position?: LatLon) => boolean;

export const forwardAll: ShouldForward = () => true;

export interface PlacementFilterOptions {
  mec: string;
  placement: PlacementRegistry;
  /** The MEC whose zone holds a position (the geo ZoneIndex), or undefined outside every zone. */
  zoneOfPosition: (lat: number, lon: number) => string | undefined;
}

/**
 * Forward a station's messages when its twin lives here, when this MEC receives them during a
 * migration (the target subscribes before the switch), or when the station is hosted nowhere yet
 * and stands in this MEC's zone, so that a new vehicle gets its twin here.
 */
export function placementFilter(options: PlacementFilterOptions): ShouldForward {
  const { mec, placement, zoneOfPosition } = options;
  return (stationId, position) => {
    if (placement.receiversOf(stationId).includes(mec)) return true;
    if (placement.homeOf(stationId) !== undefined) return false;
    return position !== undefined && zoneOfPosition(position.lat, position.lon) === mec;
  };
}
