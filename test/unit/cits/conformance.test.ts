/**
 * The conformance corpus: real messages from public C-ITS sources (test/fixtures/conformance),
 * each decoded on its topic and compared field by field with values derived without the decoder
 * (scripts/derive-conformance-expected.ts): positions to 1e-6 degree, object positions to a metre.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decode } from "../../../functions/lib/cits/decode.ts";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import {
  CONFORMANCE_DIR,
  deriveExpected,
  type Expected,
  expectedPath,
  readManifest,
} from "../../../scripts/derive-conformance-expected.ts";

const manifest = readManifest();
const RECEIVED_AT_MS = 1_764_316_899_000;
const DEGREE_TOLERANCE = 1e-6;
const METRES_PER_DEGREE = 111_320;

function metresBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const north = (a.lat - b.lat) * METRES_PER_DEGREE;
  const east = (a.lon - b.lon) * METRES_PER_DEGREE * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(north, east);
}

function expectNear(actual: number | undefined, wanted: number | null | undefined, what: string): void {
  if (wanted === undefined) return;
  if (wanted === null) {
    expect(actual, `${what} should be absent`).toBeUndefined();
    return;
  }
  expect(actual, what).toBeDefined();
  expect(Math.abs((actual as number) - wanted), `${what}: ${actual} vs ${wanted}`).toBeLessThan(
    DEGREE_TOLERANCE,
  );
}

function positionOf(message: CitsMessage): { lat: number; lon: number } | undefined {
  if (message.type === "cam" || message.type === "vam") return message.position;
  if (message.type === "cpm") return message.referencePosition;
  if (message.type === "denm") return message.eventPosition;
  return undefined;
}

function compare(message: CitsMessage, expected: Expected): void {
  expect(message.type).toBe(expected.type);
  expect(message.stationId).toBe(expected.stationId);
  const position = positionOf(message);
  if (expected.position === null) expect(position, "position should be absent").toBeUndefined();
  else if (expected.position !== undefined) {
    expectNear(position?.lat, expected.position.lat, "latitude");
    expectNear(position?.lon, expected.position.lon, "longitude");
  }
  if (message.type === "cam" || message.type === "vam") {
    expectNear(message.speed, expected.speed, "speed");
    expectNear(message.heading, expected.heading, "heading");
  }
  if (message.type === "cpm" && expected.perceivedObjects !== undefined) {
    expect(message.perceivedObjects.map((object) => object.objectId)).toEqual(
      expected.perceivedObjects.map((object) => object.objectId),
    );
    expected.perceivedObjects.forEach((wanted, index) => {
      const got = message.perceivedObjects[index]?.position;
      expect(got, `object ${wanted.objectId} position`).toBeDefined();
      expect(metresBetween(got as { lat: number; lon: number }, wanted)).toBeLessThan(1);
    });
  }
  if (message.type === "denm") {
    expect(message.actionId).toBe(expected.actionId);
    expect(message.eventType?.causeCode).toBe(expected.causeCode);
  }
}

describe("conformance corpus", () => {
  it("has at least four independent sources, each file with its origin and topic", () => {
    expect(Object.keys(manifest.sources).length).toBeGreaterThanOrEqual(4);
    for (const entry of manifest.files) {
      expect(manifest.sources[entry.source], entry.file).toBeDefined();
      expect(entry.commit, entry.file).toMatch(/^[0-9a-f]{40}$/);
      expect(existsSync(path.join(CONFORMANCE_DIR, entry.file)), entry.file).toBe(true);
    }
  });

  for (const entry of manifest.files) {
    it(`${entry.file} on ${entry.topic || "(no topic)"}`, () => {
      const payload = readFileSync(path.join(CONFORMANCE_DIR, entry.file));
      const expected = JSON.parse(readFileSync(expectedPath(entry.file), "utf8")) as Expected;
      // The stored values are what the derivation gives today: neither was edited by hand.
      expect(deriveExpected(entry, JSON.parse(payload.toString("utf8")))).toEqual(expected);
      const result = decode(entry.topic, payload, RECEIVED_AT_MS);
      if (expected.outcome === "rejected") {
        expect(result.ok ? "decoded" : result.rejection.code).toBe(expected.rejection);
        return;
      }
      if (!result.ok) throw new Error(`rejected (${result.rejection.code}): ${result.rejection.reason}`);
      compare(result.message, expected);
    });
  }
});
