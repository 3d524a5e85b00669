/**
 * What the embedded stack does differently from a cluster, in one place. In a cluster the twin CNF
 * objects are the record of homes, the geofence places new stations, and each function has its own
 * process; here one process hosts every MEC, so a few rules keep that honest and cheap.
 */
import type { CloudEvent } from "cloudevents";
import type { ShouldForward } from "../../bridges/mqtt/filter.ts";
import type { EventType } from "../../functions/lib/events.ts";
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { TwinOptions } from "../../functions/lib/twin/state/options.ts";
import type { StationFlow } from "./flow.ts";

const TWIN_EXPIRED: EventType = "io.vvcu.twin.expired";

/**
 * Each `twin.updated` costs the geofence, the proxy and a dashboard publication on the same core:
 * twins report at most twice a second (the dashboards' and the geofence's pace), while the API
 * always reads the current state from the store.
 */
export const EMBEDDED_TWIN_OPTIONS: Partial<TwinOptions> = { maxUpdatesPerSecond: 2 };

/** How long a migration's source may take to catch up with the messages the target skipped. */
export const SETTLE_TIMEOUT_MS = 5_000;

/**
 * The local driver's settle step: a message the target skipped before it became a receiver must
 * reach the source before the cut. If the source cannot catch up, rolling back (the twin stays where
 * it is, and the geofence asks again) is better than a snapshot that might miss a message.
 */
export function settleBeforeCut(flow: StationFlow): (twin: string, sourceMec: string) => Promise<void> {
  return async (twin, sourceMec) => {
    if (!(await flow.settle(twin, sourceMec, SETTLE_TIMEOUT_MS))) {
      throw new Error(
        `source ${sourceMec} did not catch up with the messages of ${twin} within ${SETTLE_TIMEOUT_MS / 1000} s; rolling back rather than risk losing one`,
      );
    }
  };
}

/**
 * A new station gets its home from the first message a bridge forwards, at once: waiting for the
 * geofence to give it one (after twin.created went through the control plane, which takes a while
 * under load) let a station at the border get a twin in both MECs, each with part of its messages.
 * The geofence then moves it as it moves any twin.
 */
export function homeOnFirstMessage(
  mec: string,
  homes: Pick<HomeRegistry, "homeOf" | "setHome">,
  flow: StationFlow,
  forward: ShouldForward,
): ShouldForward {
  return (stationId, position) => {
    const forwarded = forward(stationId, position);
    if (forwarded !== false && homes.homeOf(stationId) === undefined) homes.setHome(stationId, mec);
    flow.seen(mec, stationId, forwarded !== false);
    return forwarded;
  };
}

/**
 * In a cluster the twin CNF objects go away with an expired twin; here the registry forgets it
 * (twin.expired reaches the proxy's Trigger on the twin's MEC).
 */
export function forgetExpired(
  mec: string,
  homes: Pick<HomeRegistry, "homeOf" | "remove">,
  flow: StationFlow,
): (event: CloudEvent<unknown>) => void {
  return (event) => {
    if (event.type !== TWIN_EXPIRED || event.subject === undefined) return;
    if (homes.homeOf(event.subject) === mec) homes.remove(event.subject);
    flow.forget(event.subject);
  };
}
