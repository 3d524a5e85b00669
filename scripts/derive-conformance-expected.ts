/**
 * Derives the expected values of the conformance corpus (test/fixtures/conformance) straight from
 * the standards, without vvcu's decoder: it imports nothing from functions/. Each file's layout is
 * read where TS 102 894-2, EN 302 637-2/3, TR 103 562, TS 103 324 and TS 103 300-3 put it; the
 * manifest says whether values are vanetza-nap's (degrees, m/s, m) or ETSI's integers (1e-7
 * degree, 0.01 m/s, 0.1 degree, 0.01 m). Object positions come from the WGS84 direct geodesic
 * problem (Vincenty), a different method from the decoder's.
 *
 *   npx tsx scripts/derive-conformance-expected.ts [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export const CONFORMANCE_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "test",
  "fixtures",
  "conformance",
);

type Json = Record<string, unknown>;

export interface ManifestFile {
  file: string;
  source: string;
  commit: string;
  path: string;
  topic: string;
  type: "cam" | "cpm" | "denm" | "vam";
  encoding: string;
  units: "vanetza-nap" | "etsi";
  /** A rejection code when the file must be rejected; decoded otherwise. */
  expect?: string;
  note?: string;
}

export interface Manifest {
  sources: Record<string, { repository: string; licence: string; what: string }>;
  files: ManifestFile[];
}

export interface ExpectedObject {
  objectId: number;
  lat: number;
  lon: number;
}

/** null: the decoded message must not carry the field (absent or unavailable). */
export interface Expected {
  outcome: "decoded" | "rejected";
  rejection?: string;
  type?: string;
  stationId?: string;
  position?: { lat: number; lon: number } | null;
  speed?: number | null;
  heading?: number | null;
  perceivedObjects?: ExpectedObject[];
  actionId?: string;
  causeCode?: number;
}

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, "manifest.json"), "utf8")) as Manifest;
}

export function expectedPath(file: string): string {
  return path.join(CONFORMANCE_DIR, file.replace(/\.json$/, ".expected.json"));
}

const obj = (value: unknown): Json | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

function at(root: unknown, dotted: string): unknown {
  let value: unknown = root;
  for (const key of dotted.split(".")) value = obj(value)?.[key];
  return value;
}

/** The number inside {xValue, xConfidence} / {value, confidence} or a bare number. */
function scalar(value: unknown, key: string): number | undefined {
  if (typeof value === "number") return value;
  const inner = obj(value);
  const found = inner?.[key] ?? inner?.value;
  return typeof found === "number" ? found : undefined;
}

/** Raw ETSI "unavailable" values; vanetza-nap passes them through unscaled. */
const UNAVAILABLE = { lat: 900000001, lon: 1800000001, speed: 16383, heading: 3601 };

function position(reference: unknown, units: ManifestFile["units"]): Expected["position"] {
  const lat = at(reference, "latitude");
  const lon = at(reference, "longitude");
  if (typeof lat !== "number" || typeof lon !== "number") return null;
  if (lat === UNAVAILABLE.lat || lon === UNAVAILABLE.lon) return null;
  return units === "etsi" ? { lat: lat / 1e7, lon: lon / 1e7 } : { lat, lon };
}

function speedOf(value: number | undefined, units: ManifestFile["units"]): number | null {
  if (value === undefined || value === UNAVAILABLE.speed) return null;
  return units === "etsi" ? value / 100 : value;
}

function headingOf(value: number | undefined, units: ManifestFile["units"]): number | null {
  if (value === undefined || value === UNAVAILABLE.heading) return null;
  return units === "etsi" ? value / 10 : value;
}

/** WGS84 direct geodesic problem (Vincenty 1975): the point `distance` m from (lat, lon) at `azimuth`. */
export function vincentyDirect(lat: number, lon: number, azimuthDeg: number, distance: number) {
  const a = 6378137;
  const f = 1 / 298.257223563;
  const b = a * (1 - f);
  const rad = Math.PI / 180;
  const alpha1 = azimuthDeg * rad;
  const tanU1 = (1 - f) * Math.tan(lat * rad);
  const cosU1 = 1 / Math.sqrt(1 + tanU1 * tanU1);
  const sinU1 = tanU1 * cosU1;
  const sigma1 = Math.atan2(tanU1, Math.cos(alpha1));
  const sinAlpha = cosU1 * Math.sin(alpha1);
  const cos2Alpha = 1 - sinAlpha * sinAlpha;
  const u2 = (cos2Alpha * (a * a - b * b)) / (b * b);
  const A = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  const B = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  let sigma = distance / (b * A);
  let cos2SigmaM = 0;
  let sinSigma = 0;
  let cosSigma = 1;
  for (let i = 0; i < 100; i++) {
    cos2SigmaM = Math.cos(2 * sigma1 + sigma);
    sinSigma = Math.sin(sigma);
    cosSigma = Math.cos(sigma);
    const deltaSigma =
      B *
      sinSigma *
      (cos2SigmaM +
        (B / 4) *
          (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM) -
            (B / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
    const next = distance / (b * A) + deltaSigma;
    if (Math.abs(next - sigma) < 1e-12) {
      sigma = next;
      break;
    }
    sigma = next;
  }
  cos2SigmaM = Math.cos(2 * sigma1 + sigma);
  sinSigma = Math.sin(sigma);
  cosSigma = Math.cos(sigma);
  const x = sinU1 * sinSigma - cosU1 * cosSigma * Math.cos(alpha1);
  const lat2 = Math.atan2(
    sinU1 * cosSigma + cosU1 * sinSigma * Math.cos(alpha1),
    (1 - f) * Math.sqrt(sinAlpha * sinAlpha + x * x),
  );
  const lambda = Math.atan2(
    sinSigma * Math.sin(alpha1),
    cosU1 * cosSigma - sinU1 * sinSigma * Math.cos(alpha1),
  );
  const C = (f / 16) * cos2Alpha * (4 + f * (4 - 3 * cos2Alpha));
  const L =
    lambda -
    (1 - C) *
      f *
      sinAlpha *
      (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
  return { lat: lat2 / rad, lon: lon + L / rad };
}

/** x east, y north of the reference, metres (ETSI: x and y of the reference frame, not the heading's). */
function objectAt(reference: { lat: number; lon: number }, east: number, north: number) {
  const distance = Math.hypot(east, north);
  if (distance === 0) return { ...reference };
  return vincentyDirect(reference.lat, reference.lon, (Math.atan2(east, north) * 180) / Math.PI, distance);
}

function cpmObjects(body: Json, reference: Expected["position"], units: ManifestFile["units"]) {
  const scale = units === "etsi" ? 100 : 1;
  const v1 = at(body, "cpmParameters.perceivedObjectContainer");
  const items: Json[] = [];
  if (Array.isArray(v1)) items.push(...(v1 as Json[]));
  const containers = at(body, "cpmContainers");
  if (Array.isArray(containers)) {
    for (const container of containers as Json[]) {
      if (container.containerId !== 5) continue;
      items.push(...((at(container, "containerData.perceivedObjects") as Json[] | undefined) ?? []));
    }
  }
  const out: ExpectedObject[] = [];
  for (const item of items) {
    const x = scalar(item.xDistance ?? at(item, "position.xCoordinate"), "value");
    const y = scalar(item.yDistance ?? at(item, "position.yCoordinate"), "value");
    const id = item.objectId ?? item.objectID;
    if (x === undefined || y === undefined || typeof id !== "number" || !reference) continue;
    out.push({ objectId: id, ...objectAt(reference, x / scale, y / scale) });
  }
  return out;
}

export function deriveExpected(entry: ManifestFile, payload: Json): Expected {
  if (entry.expect !== undefined) return { outcome: "rejected", rejection: entry.expect };
  const envelope = obj(payload.fields);
  const level = envelope ?? payload;
  const header = obj(level.header);
  const body = obj(level[entry.type]) ?? obj(level.payload) ?? level;
  const expected: Expected = { outcome: "decoded", type: entry.type };
  const station =
    payload.stationID ??
    header?.stationId ??
    header?.stationID ??
    body.stationID ??
    at(body, "management.actionId.originatingStationId") ??
    at(body, "management.actionID.originatingStationID");
  expected.stationId = String(station);
  const units = entry.units;
  if (entry.type === "cam" || entry.type === "vam") {
    const params = obj(body[entry.type === "cam" ? "camParameters" : "vamParameters"]);
    if (params === undefined) {
      // The flat CAM an older vanetza-nap took on vanetza/in, in ETSI integers.
      expected.position = position(body, "etsi");
      expected.speed = speedOf(scalar(body.speed, "speedValue"), "etsi");
      expected.heading = headingOf(scalar(body.heading, "headingValue"), "etsi");
      return expected;
    }
    expected.position = position(at(params, "basicContainer.referencePosition"), units);
    const hf =
      entry.type === "cam"
        ? at(params, "highFrequencyContainer.basicVehicleContainerHighFrequency")
        : params.vruHighFrequencyContainer;
    expected.speed = speedOf(scalar(at(hf, "speed"), "speedValue"), units);
    expected.heading = headingOf(scalar(at(hf, "heading"), "headingValue"), units);
    return expected;
  }
  if (entry.type === "cpm") {
    const management = at(body, "managementContainer") ?? at(body, "cpmParameters.managementContainer");
    expected.position = position(at(management, "referencePosition"), units);
    expected.perceivedObjects = cpmObjects(body, expected.position, units);
    return expected;
  }
  const management = obj(body.management) ?? {};
  const action = obj(management.actionId) ?? obj(management.actionID) ?? {};
  expected.actionId = `${action.originatingStationId ?? action.originatingStationID}:${action.sequenceNumber}`;
  expected.position = position(management.eventPosition, units);
  const eventType = obj(at(body, "situation.eventType"));
  const ccAndScc = obj(eventType?.ccAndScc);
  const cause = ccAndScc ? Number(/(\d+)$/.exec(Object.keys(ccAndScc)[0] ?? "")?.[1]) : eventType?.causeCode;
  if (typeof cause === "number") expected.causeCode = cause;
  return expected;
}

function main(): void {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  let stale = 0;
  for (const entry of readManifest().files) {
    const payload = JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, entry.file), "utf8")) as Json;
    const text = `${JSON.stringify(deriveExpected(entry, payload), null, 2)}\n`;
    const target = expectedPath(entry.file);
    if (values.check) {
      let current = "";
      try {
        current = readFileSync(target, "utf8");
      } catch {}
      if (current !== text) {
        console.error(`stale: ${target}`);
        stale++;
      }
    } else writeFileSync(target, text);
  }
  if (stale > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
