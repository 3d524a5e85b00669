import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CitsMessageSchema, PositionSchema } from "../../functions/lib/cits/types.ts";
import { compileConformance } from "../../functions/lib/conforms.ts";
import { cam, cpm, denm, logs } from "./twin/messages.ts";

const conformsToCits = compileConformance(CitsMessageSchema);

/** What the decoder emits, and the same messages bent in the ways a sender gets them wrong. */
const messages = [cam("car-1", 1), cpm("rsu-1", 2), denm("car-2", 3), logs("car-3", 4)];
const wrongValues: unknown[] = [
  undefined,
  null,
  "",
  "x",
  -1,
  0,
  91,
  361,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  [],
  {},
  [1],
  { lat: 1 },
];

/** A message with one field (possibly nested, possibly new) set to some value. */
const bentMessage = fc
  .tuple(
    fc.constantFrom(...messages),
    fc.array(fc.constantFrom("position", "lat", "speed", "heading", "origin", "stationId", "extra", "0"), {
      minLength: 1,
      maxLength: 2,
    }),
    fc.oneof(fc.constantFrom(...wrongValues), fc.anything()),
  )
  .map(([message, path, value]) => {
    const copy = structuredClone(message) as Record<string, unknown>;
    let target: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      const inner = target[key];
      if (typeof inner !== "object" || inner === null) return copy;
      target = inner as Record<string, unknown>;
    }
    target[path.at(-1) as string] = value;
    return copy;
  });

describe("conformance check compiled from a zod schema", () => {
  it("passes the messages the decoder emits, of every type", () => {
    for (const message of messages) expect(conformsToCits(message)).toBe(true);
  });

  it("says yes only when zod accepts the value and would return it unchanged", () => {
    fc.assert(
      fc.property(fc.oneof(bentMessage, fc.anything()), (value) => {
        if (!conformsToCits(value)) return;
        const parsed = CitsMessageSchema.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toEqual(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves to zod what zod would change or refuse", () => {
    const position = compileConformance(PositionSchema);
    expect(position({ lat: 40.6, lon: -8.6 })).toBe(true);
    expect(position({ lat: 40.6, lon: -8.6, alt: 12 })).toBe(true);
    expect(position({ lat: 40.6, lon: -8.6, colour: "red" })).toBe(false); // zod strips it
    expect(position({ lat: 90.5, lon: -8.6 })).toBe(false);
    expect(position({ lat: Number.NaN, lon: -8.6 })).toBe(false);
    expect(position({ lat: "40.6", lon: -8.6 })).toBe(false);
    expect(position(null)).toBe(false);
    expect(position([40.6, -8.6])).toBe(false);
    expect(conformsToCits({ ...cam("car-1", 1), type: "spam" })).toBe(false);
    expect(conformsToCits({ ...cam("car-1", 1), stationId: "" })).toBe(false);
    expect(conformsToCits({ ...cam("car-1", 1), exteriorLights: ["lowBeam", 3] })).toBe(false);
  });

  it("is never sure of a schema part it does not model", () => {
    const refined = compileConformance(z.object({ id: z.string().email() }));
    expect(refined({ id: "a@b.example" })).toBe(false);
    const transformed = compileConformance(z.string().transform((text) => text.length));
    expect(transformed("abc")).toBe(false);
    expect(compileConformance(z.object({ count: z.number().int() }))({ count: 3 })).toBe(false);
  });

  it("quotes field names, so a schema cannot inject code", () => {
    const odd = compileConformance(z.object({ 'a"]); throw 1; //': z.literal('x"; throw 1; //') }));
    expect(odd({ 'a"]); throw 1; //': 'x"; throw 1; //' })).toBe(true);
    expect(odd({ 'a"]); throw 1; //': "x" })).toBe(false);
  });
});
