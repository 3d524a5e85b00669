/**
 * The reducer's position reports (CAM, VAM, and the CPM's own position): where the station is,
 * where it went, how fast, and what it perceives around it. Each step fills a twin and running
 * figures the caller owns (fresh copies), in place.
 */
import type { CamMessage, CpmMessage, Position, VamMessage } from "../../cits/types.ts";
import { distanceM } from "../../geo/sphere.ts";
import type { PerceivedObjectState, Twin, TwinAccumulators } from "../../model/twin.ts";
import type { TwinOptions } from "./options.ts";

interface Kinematics {
  position?: Position | undefined;
  speed?: number | undefined;
  heading?: number | undefined;
  timeMs: number;
}

/** The last `limit - 1` items of `items` followed by `item`, in one copy. */
function appendBounded<T>(items: readonly T[], item: T, limit: number): T[] {
  const next = items.slice(Math.max(0, items.length + 1 - limit));
  next.push(item);
  return next;
}

/** Position, trajectory, distance and speed statistics: what every position report updates. */
function applyMotion(
  twin: Twin,
  accumulators: TwinAccumulators,
  report: Kinematics,
  options: TwinOptions,
): void {
  if (report.position) {
    const { lat, lon, alt } = report.position;
    // A copy: the twin must not share an object with the event it came from.
    const position: Position = alt === undefined ? { lat, lon } : { lat, lon, alt };
    if (twin.position) twin.distanceM += distanceM(twin.position, position);
    twin.position = position;
    const last = twin.trajectory.at(-1);
    if (last === undefined || report.timeMs - last.timeMs >= options.trajectoryIntervalMs) {
      twin.trajectory = appendBounded(
        twin.trajectory,
        { lat, lon, timeMs: report.timeMs },
        options.trajectoryLength,
      );
    }
  }
  if (report.speed !== undefined) {
    const speedSamples = accumulators.speedSamples + 1;
    twin.speed = report.speed;
    twin.averageSpeed += (report.speed - twin.averageSpeed) / speedSamples;
    twin.maxSpeed = Math.max(twin.maxSpeed, report.speed);
    accumulators.speedSamples = speedSamples;
  }
  if (report.heading !== undefined) twin.heading = report.heading;
}

export function applyKinematics(
  twin: Twin,
  accumulators: TwinAccumulators,
  message: CamMessage | VamMessage,
  options: TwinOptions,
): void {
  applyMotion(twin, accumulators, message, options);
  if (message.longitudinalAcceleration !== undefined) {
    twin.longitudinalAcceleration = message.longitudinalAcceleration;
  }
  if (message.yawRate !== undefined) twin.yawRate = message.yawRate;
  if (message.length !== undefined) twin.length = message.length;
  if (message.width !== undefined) twin.width = message.width;
  if (message.exteriorLights !== undefined && !sameItems(twin.exteriorLights, message.exteriorLights)) {
    twin.exteriorLights = [...message.exteriorLights]; // a copy: never share an array with the event
  }
}

function sameItems(kept: readonly string[] | undefined, sent: readonly string[]): boolean {
  if (kept === undefined || kept.length !== sent.length) return false;
  for (let index = 0; index < sent.length; index++) if (kept[index] !== sent[index]) return false;
  return true;
}

/** A CPM is the full picture of what the station perceives now: it replaces the previous objects. */
export function applyCpm(
  twin: Twin,
  accumulators: TwinAccumulators,
  message: CpmMessage,
  options: TwinOptions,
): void {
  applyMotion(
    twin,
    accumulators,
    {
      position: message.referencePosition,
      speed: message.speed,
      heading: message.heading,
      timeMs: message.timeMs,
    },
    options,
  );
  const objects: PerceivedObjectState[] = [];
  for (const object of message.perceivedObjects) {
    if (!object.position) continue; // without a position it cannot be shown or compared
    if (objects.length >= options.maxPerceivedObjects) break;
    const state: PerceivedObjectState = {
      objectId: object.objectId,
      lat: object.position.lat,
      lon: object.position.lon,
    };
    if (object.speed !== undefined) state.speed = object.speed;
    if (object.heading !== undefined) state.heading = object.heading;
    if (object.classification !== undefined) state.classification = object.classification;
    objects.push(state);
  }
  twin.perceivedObjects = objects;
}
