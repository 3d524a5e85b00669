/**
 * Units: every scaled C-ITS value arrives either "raw" (ETSI integers: 1e-7 degree latitude and
 * longitude, 0.01 m altitude, 0.01 m/s speed, 0.1 degree heading, 0.1 m/s^2 acceleration,
 * 0.01 degree/s yaw rate, 0.1 m vehicle length and width, 0.01 m CPM distances, 0.01 m/s CPM
 * speeds) or "transformed" (vanetza-nap's default: degrees, metres, m/s, ...). The output is
 * always SI and degrees.
 *
 * THE RULE, per message (one unit system for the whole message):
 *  1. "Unavailable" sentinels (latitude 900000001, longitude 1800000001, altitude 800001,
 *     speed 16383, heading 3601, acceleration 161, yaw rate 32767, length 1023, width 62,
 *     CPM speed 16383, CPM angle 3601) mean "no value" in BOTH systems: vanetza-nap passes
 *     them through untransformed, so its transformed output carries them too (its own
 *     out_cam example has altitude 800001 next to latitude 40.628). Their scaled forms
 *     (heading 360.1, speed 163.83, ...) are also "no value" in transformed messages.
 *     Sentinels are therefore never evidence for either system.
 *  2. A latitude above 90 or a longitude above 180 in magnitude can only be raw: raw.
 *  3. Else a fractional value in any scaled field can only be transformed (raw ETSI values
 *     are integers): transformed.
 *  4. Else any other value too large to be transformed (heading > 360, speed > 163.82 m/s,
 *     |acceleration| > 16, |yaw rate| > 327.66, length > 102.2, width > 6.1, altitude > 8000,
 *     CPM distance > 1327.67 m, CPM speed > 163.83 m/s): raw.
 *  5. Else the topic's default: vanetza/out, vanetza/in (vanetza-nap converts what it is given
 *     as it converts what it emits) and a body given without a topic: transformed; its_center,
 *     obu and the nested {"CAM": ...} form: raw (those feeds carry the ETSI integers; the earlier
 *     system's scripts divide their latitude by 1e7).
 * Then, in the decided system, each value is converted and checked against its ETSI range;
 * a value outside it (e.g. latitude beyond +-90 degrees) rejects the message as `out-of-range`.
 */
import { DecodeFailure } from "./read.ts";
import type { DropCode, DroppedPart, UnitSystem } from "./types.ts";

export interface ScaledField {
  /** Name used in rejection reasons. */
  name: string;
  /** raw / divisor = SI value. */
  divisor: number;
  /** Raw "unavailable" values. */
  sentinels: readonly number[];
  /** Allowed SI range. */
  min: number;
  max: number;
  unit: string;
  /** Whether a too-large value alone proves the raw system (rule 2, position). */
  decisive?: boolean;
}

export const FIELDS = {
  latitude: {
    name: "latitude",
    divisor: 1e7,
    sentinels: [900000001],
    min: -90,
    max: 90,
    unit: "degrees",
    decisive: true,
  },
  longitude: {
    name: "longitude",
    divisor: 1e7,
    sentinels: [1800000001],
    min: -180,
    max: 180,
    unit: "degrees",
    decisive: true,
  },
  altitude: { name: "altitude", divisor: 100, sentinels: [800001], min: -1000, max: 8000, unit: "m" },
  speed: { name: "speed", divisor: 100, sentinels: [16383], min: 0, max: 163.82, unit: "m/s" },
  heading: { name: "heading", divisor: 10, sentinels: [3601], min: 0, max: 360, unit: "degrees" },
  longitudinalAcceleration: {
    name: "longitudinalAcceleration",
    divisor: 10,
    sentinels: [161],
    min: -16,
    max: 16,
    unit: "m/s^2",
  },
  yawRate: {
    name: "yawRate",
    divisor: 100,
    sentinels: [32767],
    min: -327.66,
    max: 327.66,
    unit: "degrees/s",
  },
  vehicleLength: { name: "vehicleLength", divisor: 10, sentinels: [1023], min: 0, max: 102.2, unit: "m" },
  vehicleWidth: { name: "vehicleWidth", divisor: 10, sentinels: [62], min: 0, max: 6.1, unit: "m" },
  objectDistance: {
    name: "object distance",
    divisor: 100,
    sentinels: [],
    min: -1327.68,
    max: 1327.67,
    unit: "m",
  },
  objectSpeed: {
    name: "object speed",
    divisor: 100,
    sentinels: [16383],
    min: -163.83,
    max: 163.83,
    unit: "m/s",
  },
  angle: { name: "angle", divisor: 10, sentinels: [3601], min: 0, max: 360, unit: "degrees" },
} as const satisfies Record<string, ScaledField>;

/** One scaled number read from a message, kept with its path until the units are decided. */
export interface Reading {
  field: ScaledField;
  value: number;
  path: string;
}

export function isSentinel(field: ScaledField, value: number): boolean {
  for (const sentinel of field.sentinels) {
    if (value === sentinel) return true;
    // The scaled form an older transformer wrote (heading 360.1 for 3601).
    if (Math.abs(value - sentinel / field.divisor) < 0.5 / field.divisor) return true;
  }
  return false;
}

/** Rules 2 to 5 of the module comment, over the readings of one message. */
export function decideUnits(readings: readonly Reading[], fallback: UnitSystem): UnitSystem {
  let weakRaw = false;
  let fractional = false;
  for (const { field, value } of readings) {
    if (isSentinel(field, value)) continue;
    if (Math.abs(value) > Math.max(field.max, -field.min)) {
      if (field.decisive) return "raw";
      weakRaw = true;
    }
    if (!Number.isInteger(value)) fractional = true;
  }
  if (fractional) return "transformed";
  if (weakRaw) return "raw";
  return fallback;
}

/** The SI value of a reading, undefined for a sentinel; out-of-range values reject the message. */
export function toSI(reading: Reading | undefined, units: UnitSystem): number | undefined {
  if (reading === undefined) return undefined;
  const { field, value, path } = reading;
  if (isSentinel(field, value)) return undefined;
  const si = units === "raw" ? value / field.divisor : value;
  if (si < field.min || si > field.max) {
    throw new DecodeFailure(
      "out-of-range",
      `${field.name} ${si} ${field.unit} is out of range [${field.min}, ${field.max}] at ${path} (read as ${units} units${units === "raw" ? `, raw value ${value}` : ""})`,
    );
  }
  return si;
}

/** Collects the readings of one message, and the parts of it left out. */
export class Readings {
  readonly items: Reading[] = [];
  /** Allocated on the first drop only: a well-formed CAM never pays for it. */
  dropped: DroppedPart[] | undefined = undefined;

  drop(path: string, code: DropCode, reason: string): void {
    if (this.dropped === undefined) this.dropped = [];
    this.dropped.push({ path, code, reason });
  }

  add(field: ScaledField, value: number | undefined, path: string): Reading | undefined {
    if (value === undefined) return undefined;
    const reading = { field, value, path };
    this.items.push(reading);
    return reading;
  }
}

/** 2004-01-01T00:00:00Z in Unix ms: the ETSI TimestampIts epoch. */
export const ITS_EPOCH_UNIX_MS = 1_072_915_200_000;
/** TimestampIts counts TAI milliseconds: 5 leap seconds were inserted between 2004 and 2017. */
export const ITS_LEAP_SECONDS_MS = 5_000;

/**
 * A TimestampIts as Unix ms. Raw: milliseconds since 2004 (TAI). Transformed (vanetza-nap
 * divides by 1000): seconds since 2004, except values above 1e9, which older vanetza-nap
 * examples write as Unix seconds (seconds since 2004 pass 1e9 only in 2035).
 */
export function itsTimestampToUnixMs(value: number, units: UnitSystem): number {
  if (units === "raw") return ITS_EPOCH_UNIX_MS + value - ITS_LEAP_SECONDS_MS;
  if (value > 1e9) return value * 1000;
  return ITS_EPOCH_UNIX_MS + value * 1000 - ITS_LEAP_SECONDS_MS;
}

/** An envelope timestamp (vanetza-nap: Unix seconds as a float) as Unix ms; values above 1e11 are already ms. */
export function envelopeTimestampToMs(value: number): number {
  return value > 1e11 ? value : value * 1000;
}
