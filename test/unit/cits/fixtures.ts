/** Test access to test/fixtures/cits: the realistic messages and the topic each arrives on. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "../../../functions/lib/cits/decode.ts";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";

export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/cits");

export const FIXTURE_TOPICS = JSON.parse(
  readFileSync(path.join(FIXTURE_DIR, "topics.json"), "utf8"),
) as Record<string, string>;

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURE_DIR, name), "utf8");
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

/** Receipt time the tests pass, so messages without their own time are deterministic. */
export const RECEIVED_AT_MS = 1_764_316_899_000;

/** Decodes and expects success; fails the test with the rejection reason otherwise. */
export function decodeOk(topic: string, payload: string | Buffer | object): CitsMessage {
  const text = typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  const result = decode(topic, text, RECEIVED_AT_MS);
  if (!result.ok)
    throw new Error(`expected ${topic} to decode, got ${result.rejection.code}: ${result.rejection.reason}`);
  return result.message;
}

export function decodeFixture(name: string): CitsMessage {
  const topic = FIXTURE_TOPICS[name];
  if (topic === undefined) throw new Error(`no topic for fixture ${name}`);
  return decodeOk(topic, fixtureText(name));
}
