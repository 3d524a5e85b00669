import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "../../../functions/lib/cits/decode.ts";
import {
  CitsMessageSchema,
  type DecodeResult,
  type RejectionCode,
} from "../../../functions/lib/cits/types.ts";
import { CONFORMANCE_DIR, readManifest } from "../../../scripts/derive-conformance-expected.ts";
import { FIXTURE_TOPICS, fixtureJson } from "./fixtures.ts";

const CODES: readonly RejectionCode[] = [
  "too-large",
  "not-json",
  "not-an-object",
  "unknown-topic",
  "unknown-message-type",
  "missing-station-id",
  "invalid-field",
  "out-of-range",
];

const TOPICS = ["", ...new Set(Object.values(FIXTURE_TOPICS)), "vanetza/in/vam", "vanetza/out/spatem", "x/y"];

/** ok with a message the contract schema accepts, or a rejection with a known code and a reason. */
function wellFormed(result: DecodeResult, topic: string): boolean {
  if (result.ok) {
    const parsed = CitsMessageSchema.safeParse(result.message);
    if (!parsed.success) throw new Error(`output breaks the contract: ${parsed.error.message}`);
    return result.message.origin.topic === topic;
  }
  // That reason is decode()'s last resort for an exception a reader did not foresee: a bug.
  if (result.rejection.reason.startsWith("cannot decode this payload"))
    throw new Error(result.rejection.reason);
  return (
    CODES.includes(result.rejection.code) &&
    result.rejection.reason.length > 0 &&
    result.rejection.topic === topic
  );
}

function decodeNeverThrows(topic: string, payload: Buffer | string): DecodeResult {
  let result: DecodeResult | undefined;
  expect(() => {
    result = decode(topic, payload, 1_764_316_899_000);
  }).not.toThrow();
  return result as DecodeResult;
}

/** Replaces one leaf of a JSON value (chosen by `pick`) with `replacement`. */
function mutateLeaf(value: unknown, pick: number, replacement: unknown): unknown {
  const leaves: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    const entries: [string | number, unknown][] = Array.isArray(node)
      ? node.map((child, index) => [index, child])
      : Object.entries(node);
    for (const [key, child] of entries) {
      if (typeof child === "object" && child !== null) walk(child);
      else leaves.push({ parent: node as Record<string, unknown>, key });
    }
  };
  const copy = structuredClone(value);
  walk(copy);
  const leaf = leaves[pick % Math.max(1, leaves.length)];
  if (leaf !== undefined) (leaf.parent as Record<string | number, unknown>)[leaf.key] = replacement;
  return copy;
}

describe("decode never throws and always answers ok or a typed rejection", () => {
  it("on arbitrary bytes, on every input topic", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOPICS), fc.uint8Array({ maxLength: 512 }), (topic, bytes) => {
        const result = decodeNeverThrows(topic, Buffer.from(bytes));
        return wellFormed(result, topic);
      }),
      { numRuns: 500 },
    );
  });

  it("on arbitrary JSON, on every input topic", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOPICS), fc.json({ maxDepth: 6 }), (topic, text) => {
        return wellFormed(decodeNeverThrows(topic, text), topic);
      }),
      { numRuns: 1000 },
    );
  });

  it("on arbitrary objects shaped like the dialects' envelopes", () => {
    const anything = fc.anything({ maxDepth: 3 });
    const envelope = fc.record(
      {
        stationID: fc.oneof(fc.nat(), fc.string(), anything),
        timestamp: fc.oneof(fc.double(), anything),
        fields: fc.record(
          {
            header: anything,
            cam: anything,
            cpm: anything,
            denm: anything,
            vam: anything,
            payload: anything,
          },
          { requiredKeys: [] },
        ),
        CAM: anything,
        CPM: anything,
        header: anything,
        camParameters: anything,
        cpmParameters: anything,
        management: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.constantFrom(...TOPICS), envelope, (topic, body) => {
        return wellFormed(decodeNeverThrows(topic, JSON.stringify(body)), topic);
      }),
      { numRuns: 1000 },
    );
  });

  it("on realistic messages with one value replaced by anything", () => {
    const names = Object.keys(FIXTURE_TOPICS);
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.nat(),
        fc.oneof(
          fc.double(),
          fc.integer(),
          fc.string(),
          fc.constant(null),
          fc.boolean(),
          fc.object({ maxDepth: 1 }),
        ),
        (name, pick, replacement) => {
          const topic = FIXTURE_TOPICS[name] as string;
          const payload = JSON.stringify(mutateLeaf(fixtureJson(name), pick, replacement));
          return wellFormed(decodeNeverThrows(topic, payload), topic);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("on the real corpus with one value replaced by anything: dropped parts carry a code, path and reason", () => {
    const corpus = readManifest().files.map((entry) => ({
      topic: entry.topic,
      json: JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, entry.file), "utf8")) as unknown,
    }));
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.nat(),
        fc.oneof(
          fc.double(),
          fc.integer(),
          fc.string(),
          fc.constant(null),
          fc.boolean(),
          fc.object({ maxDepth: 1 }),
        ),
        fc.boolean(),
        ({ topic, json }, pick, replacement, explain) => {
          const payload = JSON.stringify(mutateLeaf(json, pick, replacement));
          let result: DecodeResult | undefined;
          expect(() => {
            result = decode(topic, payload, 1_764_316_899_000, { explain });
          }).not.toThrow();
          const answered = result as DecodeResult;
          if (answered.ok && answered.dropped !== undefined) {
            for (const part of answered.dropped) {
              if (!["malformed", "unknown", "unused"].includes(part.code)) return false;
              if (part.path.length === 0 || part.reason.length === 0) return false;
            }
          }
          return wellFormed(answered, topic);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("decoded positions always lie on the globe, whatever the numbers", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -2_000_000_000, max: 2_000_000_000 })),
        fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -2_000_000_000, max: 2_000_000_000 })),
        (latitude, longitude) => {
          const result = decodeNeverThrows(
            "vanetza/out/cam",
            JSON.stringify({
              stationID: 1,
              fields: {
                cam: { camParameters: { basicContainer: { referencePosition: { latitude, longitude } } } },
              },
            }),
          );
          if (!result.ok)
            return result.rejection.code === "out-of-range" || result.rejection.code === "invalid-field";
          const position = result.message.type === "cam" ? result.message.position : undefined;
          return position === undefined || (Math.abs(position.lat) <= 90 && Math.abs(position.lon) <= 180);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
