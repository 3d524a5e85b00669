/**
 * The simulated world: vehicles driving loops through Aveiro, RSUs perceiving the vehicles
 * near them, stations logging their network use. `tick(nowMs)` advances it to a time and returns
 * the MQTT messages due by then. Pure apart from its own state; the clock is the caller's.
 */
import { destinationPoint, distanceM } from "../../functions/lib/geo/sphere.ts";
import type { LatLon } from "../../functions/lib/geo/types.ts";
import { RsuHazards } from "./hazards.ts";
import {
  clampYawRate,
  nextBorderM,
  pointAlong,
  type RouteGeometry,
  routeGeometry,
  stepMotion,
  type VehicleMotion,
} from "./kinematics.ts";
import {
  camMessage,
  cpmMessage,
  networkLogMessage,
  type PerceivedVehicle,
  SIM_TOPICS,
  STATION_TYPE,
} from "./messages.ts";
import { type Random, seededRandom } from "./random.ts";
import { AVEIRO_ROUTES, AVEIRO_RSUS, type Route, type RsuSite } from "./routes.ts";

export const MIN_RATE_HZ = 1;
export const MAX_RATE_HZ = 10;

export interface SimulationOptions {
  vehicles: number;
  /** CAMs per vehicle per second, 1 to 10. */
  rateHz: number;
  startMs: number;
  seed?: number;
  routes?: Route[];
  rsus?: RsuSite[];
  /** CPMs per RSU per second; 0 turns them off. */
  cpmRateHz?: number;
  /** Seconds between the end of an RSU's hazard (DENM) and its next one; 0 turns them off. Default 60. */
  denmGapS?: number;
  /** Seconds between a station's network logs; 0 turns them off. */
  logIntervalS?: number;
  /** Standard deviation of the GPS error, metres. */
  gpsNoiseM?: number;
  firstStationId?: number;
  firstRsuId?: number;
  /**
   * The zone (MEC) of a position. When given, each vehicle starts `borderLeadS` seconds of
   * driving before a zone border, so a fresh stack shows migrations within its first minute.
   */
  zoneOf?: (position: LatLon) => string | undefined;
  /** Seconds of driving before the first border when `zoneOf` is given, [min, max]; default [10, 40]. */
  borderLeadS?: [min: number, max: number];
}

export type SimMessageKind = "cam" | "cpm" | "denm" | "logs";

export interface SimMessage {
  topic: string;
  payload: string;
  stationId: number;
  kind: SimMessageKind;
  timeMs: number;
}

interface Vehicle {
  stationId: number;
  stationType: number;
  geometry: RouteGeometry;
  motion: VehicleMotion;
  length: number;
  width: number;
  movedAtMs: number;
  heading: number;
  nextCamMs: number;
  nextLogMs: number;
  rxBytes: number;
  txBytes: number;
}

interface Rsu {
  stationId: number;
  site: RsuSite;
  nextCpmMs: number;
  hazards: RsuHazards | undefined;
}

export interface VehicleView {
  stationId: number;
  route: string;
  position: LatLon;
  heading: number;
  speed: number;
}

/** A payload size, for the simulated network counters. */
const CAM_BYTES = 200;

export function validateSimulationOptions(options: SimulationOptions): void {
  if (!Number.isInteger(options.vehicles) || options.vehicles < 0) {
    throw new Error(`vehicles must be a whole number >= 0, got ${options.vehicles}`);
  }
  if (!(options.rateHz >= MIN_RATE_HZ && options.rateHz <= MAX_RATE_HZ)) {
    throw new Error(`rate must be between ${MIN_RATE_HZ} and ${MAX_RATE_HZ} Hz, got ${options.rateHz}`);
  }
  if (options.cpmRateHz !== undefined && !(options.cpmRateHz >= 0 && options.cpmRateHz <= MAX_RATE_HZ)) {
    throw new Error(`CPM rate must be between 0 and ${MAX_RATE_HZ} Hz, got ${options.cpmRateHz}`);
  }
}

export class Simulation {
  private readonly random: Random;
  private readonly vehiclesList: Vehicle[] = [];
  private readonly rsus: Rsu[];
  private readonly camPeriodMs: number;
  private readonly cpmPeriodMs: number;
  private readonly logPeriodMs: number;
  private readonly gpsNoiseM: number;

  constructor(options: SimulationOptions) {
    validateSimulationOptions(options);
    this.random = seededRandom(options.seed ?? 1);
    this.camPeriodMs = 1000 / options.rateHz;
    this.cpmPeriodMs = options.cpmRateHz === 0 ? 0 : 1000 / (options.cpmRateHz ?? 1);
    this.logPeriodMs = (options.logIntervalS ?? 5) * 1000;
    this.gpsNoiseM = options.gpsNoiseM ?? 2.5;
    const geometries = (options.routes ?? AVEIRO_ROUTES).map(routeGeometry);
    const firstId = options.firstStationId ?? 1001;
    for (let i = 0; i < options.vehicles; i++) {
      const geometry = geometries[i % geometries.length] as RouteGeometry;
      const isBus = i % 7 === 6;
      const cruiseSpeed = geometry.route.cruiseSpeed * this.random.between(0.85, 1.1) * (isBus ? 0.8 : 1);
      // Spread the CAMs of different vehicles over the period so the load is even.
      const offsetMs = this.random.next() * this.camPeriodMs;
      const reverse = Math.floor(i / geometries.length) % 2 === 1;
      let startM = this.random.next() * geometry.lengthM;
      if (options.zoneOf) {
        const border = nextBorderM(geometry, startM, reverse, options.zoneOf);
        const [minLeadS, maxLeadS] = options.borderLeadS ?? [10, 40];
        if (border !== undefined) startM = border - cruiseSpeed * this.random.between(minLeadS, maxLeadS);
      }
      this.vehiclesList.push({
        stationId: firstId + i,
        stationType: isBus ? STATION_TYPE.bus : STATION_TYPE.passengerCar,
        geometry,
        motion: {
          distanceM: startM,
          speed: cruiseSpeed * 0.5,
          acceleration: 0,
          cruiseSpeed,
          reverse,
        },
        length: isBus ? 12 : this.random.between(3.8, 4.9),
        width: isBus ? 2.5 : this.random.between(1.7, 1.9),
        movedAtMs: options.startMs,
        heading: 0,
        nextCamMs: options.startMs + offsetMs,
        nextLogMs: options.startMs + this.random.next() * this.logPeriodMs,
        rxBytes: 0,
        txBytes: 0,
      });
    }
    const denmGapMs = (options.denmGapS ?? 60) * 1000;
    this.rsus = (options.rsus ?? AVEIRO_RSUS).map((site, index) => {
      const stationId = (options.firstRsuId ?? 900_001) + index;
      return {
        stationId,
        site,
        nextCpmMs: options.startMs + this.random.next() * (this.cpmPeriodMs || 1000),
        hazards:
          denmGapMs > 0
            ? new RsuHazards(stationId, site, this.random, options.startMs, denmGapMs)
            : undefined,
      };
    });
    for (const vehicle of this.vehiclesList) vehicle.heading = this.locate(vehicle).heading;
  }

  /** Where every vehicle truly is (no GPS error). */
  vehicles(): VehicleView[] {
    return this.vehiclesList.map((vehicle) => {
      const point = this.locate(vehicle);
      return {
        stationId: vehicle.stationId,
        route: vehicle.geometry.route.id,
        position: point.position,
        heading: point.heading,
        speed: vehicle.motion.speed,
      };
    });
  }

  rsuStationIds(): number[] {
    return this.rsus.map((rsu) => rsu.stationId);
  }

  /** Advances to `nowMs` and returns the messages due, in time order. */
  tick(nowMs: number): SimMessage[] {
    const out: SimMessage[] = [];
    for (const vehicle of this.vehiclesList) this.tickVehicle(vehicle, nowMs, out);
    if (this.cpmPeriodMs > 0) for (const rsu of this.rsus) this.tickRsu(rsu, nowMs, out);
    for (const rsu of this.rsus) rsu.hazards?.tick(nowMs, out);
    out.sort((a, b) => a.timeMs - b.timeMs);
    return out;
  }

  private locate(vehicle: Vehicle) {
    return pointAlong(vehicle.geometry, vehicle.motion.distanceM, vehicle.motion.reverse);
  }

  private moveTo(vehicle: Vehicle, timeMs: number): void {
    let remainingS = (timeMs - vehicle.movedAtMs) / 1000;
    // Small steps keep braking before corners smooth whatever the CAM rate.
    while (remainingS > 0) {
      const dt = Math.min(0.1, remainingS);
      vehicle.motion = stepMotion(vehicle.geometry, vehicle.motion, dt);
      remainingS -= dt;
    }
    vehicle.movedAtMs = Math.max(vehicle.movedAtMs, timeMs);
  }

  private tickVehicle(vehicle: Vehicle, nowMs: number, out: SimMessage[]): void {
    // After a stall (a paused process), skip the missed CAMs instead of sending a burst.
    if (nowMs - vehicle.nextCamMs > 1000) {
      vehicle.nextCamMs += Math.floor((nowMs - vehicle.nextCamMs) / this.camPeriodMs) * this.camPeriodMs;
    }
    while (vehicle.nextCamMs <= nowMs) {
      const timeMs = Math.round(vehicle.nextCamMs);
      const previousHeading = vehicle.heading;
      this.moveTo(vehicle, timeMs);
      const point = this.locate(vehicle);
      vehicle.heading = point.heading;
      const dtS = this.camPeriodMs / 1000;
      let turn = point.heading - previousHeading;
      if (turn > 180) turn -= 360;
      if (turn < -180) turn += 360;
      const noisy = destinationPoint(
        point.position,
        this.random.next() * 360,
        Math.abs(this.random.gaussian(this.gpsNoiseM)),
      );
      const payload = camMessage({
        stationId: vehicle.stationId,
        stationType: vehicle.stationType,
        position: noisy,
        altitude: 5 + this.random.gaussian(0.5),
        heading: (point.heading + this.random.gaussian(0.5) + 360) % 360,
        speed: Math.max(0, vehicle.motion.speed + this.random.gaussian(0.1)),
        acceleration: vehicle.motion.acceleration,
        yawRate: clampYawRate(turn / dtS, vehicle.motion.speed),
        length: vehicle.length,
        width: vehicle.width,
        lowBeam: false,
        nowMs: timeMs,
        receiverId: 99,
      });
      vehicle.txBytes += CAM_BYTES;
      out.push({
        topic: SIM_TOPICS.cam,
        payload: JSON.stringify(payload),
        stationId: vehicle.stationId,
        kind: "cam",
        timeMs,
      });
      vehicle.nextCamMs += this.camPeriodMs;
    }
    if (this.logPeriodMs > 0) {
      if (nowMs - vehicle.nextLogMs > this.logPeriodMs) vehicle.nextLogMs = nowMs;
      while (vehicle.nextLogMs <= nowMs) {
        const timeMs = Math.round(vehicle.nextLogMs);
        vehicle.rxBytes += this.random.between(20_000, 60_000);
        const payload = networkLogMessage({
          stationId: vehicle.stationId,
          nowMs: timeMs,
          throughputBps: this.random.between(0.5e6, 8e6),
          rxBytes: vehicle.rxBytes,
          txBytes: vehicle.txBytes,
        });
        out.push({
          topic: SIM_TOPICS.networkLog(vehicle.stationId),
          payload: JSON.stringify(payload),
          stationId: vehicle.stationId,
          kind: "logs",
          timeMs,
        });
        vehicle.nextLogMs += this.logPeriodMs;
      }
    }
  }

  private tickRsu(rsu: Rsu, nowMs: number, out: SimMessage[]): void {
    if (nowMs - rsu.nextCpmMs > 1000) rsu.nextCpmMs = nowMs;
    while (rsu.nextCpmMs <= nowMs) {
      const timeMs = Math.round(rsu.nextCpmMs);
      const objects: PerceivedVehicle[] = [];
      for (const vehicle of this.vehiclesList) {
        this.moveTo(vehicle, Math.min(timeMs, vehicle.nextCamMs));
        const point = this.locate(vehicle);
        if (distanceM(rsu.site, point.position) <= rsu.site.rangeM) {
          objects.push({
            objectId: vehicle.stationId % 256,
            position: point.position,
            speed: vehicle.motion.speed,
            heading: point.heading,
          });
        }
      }
      const payload = cpmMessage({ stationId: rsu.stationId, position: rsu.site, objects, nowMs: timeMs });
      out.push({
        topic: SIM_TOPICS.cpm,
        payload: JSON.stringify(payload),
        stationId: rsu.stationId,
        kind: "cpm",
        timeMs,
      });
      rsu.nextCpmMs += this.cpmPeriodMs;
    }
  }
}
