import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CITS_EVENT_TYPES, EVENT_TYPES } from "../../../functions/lib/events.ts";
import {
  loadTriggers,
  matchingTriggers,
  parseTriggers,
  TriggerMatcher,
  type TriggerRoute,
  triggerMatches,
} from "../../../functions/lib/runtime/triggers.ts";

describe("knative/triggers.yaml as routes", () => {
  const routes = loadTriggers();

  it("routes every C-ITS event type to the twin function and nothing else", () => {
    for (const type of CITS_EVENT_TYPES) {
      expect(matchingTriggers(routes, { type }).map((route) => route.subscriber)).toEqual(["vvcu-twin"]);
    }
  });

  it("routes twin updates to the geofence and the proxy, migration requests to the migration function", () => {
    expect(
      matchingTriggers(routes, { type: "io.vvcu.twin.updated" })
        .map((r) => r.subscriber)
        .sort(),
    ).toEqual(["vvcu-geofence", "vvcu-proxy"]);
    expect(
      matchingTriggers(routes, { type: "io.vvcu.migration.requested" }).map((r) => r.subscriber),
    ).toEqual(["vvcu-migration"]);
  });

  it("names only catalog event types in its filters", () => {
    for (const route of routes) expect(EVENT_TYPES).toContain(route.filter.type);
  });
});

describe("parseTriggers", () => {
  const yaml = [
    "kind: Broker",
    "metadata: {name: vvcu}",
    "---",
    "kind: Trigger",
    "metadata: {name: a}",
    "spec:",
    "  broker: vvcu",
    "  filter: {attributes: {type: t1, vvcumec: mec-a}}",
    "  subscriber: {ref: {name: fn-a}}",
    "---",
    "kind: Trigger",
    "metadata: {name: all}",
    "spec:",
    "  broker: vvcu",
    "  subscriber: {ref: {name: fn-all}}",
  ].join("\n");

  it("skips other kinds and reads filters and subscribers", () => {
    expect(parseTriggers(yaml, "t.yaml")).toEqual([
      { name: "a", broker: "vvcu", filter: { type: "t1", vvcumec: "mec-a" }, subscriber: "fn-a" },
      { name: "all", broker: "vvcu", filter: {}, subscriber: "fn-all" },
    ]);
  });

  it("matches every listed attribute exactly, and an empty filter matches all", () => {
    const [a, all] = parseTriggers(yaml, "t.yaml");
    if (!a || !all) throw new Error("expected two routes");
    expect(triggerMatches(a, { type: "t1", vvcumec: "mec-a" })).toBe(true);
    expect(triggerMatches(a, { type: "t1", vvcumec: "mec-b" })).toBe(false);
    expect(triggerMatches(a, { type: "t1" })).toBe(false);
    expect(triggerMatches(all, { type: "anything" })).toBe(true);
  });

  it("remembers matches per filtered attribute values and always answers as matchingTriggers", () => {
    const value = fc.constantFrom<unknown>("t1", "t2", "mec-a", "mec-b", undefined, 7, "", "s", "-");
    const filter = fc.dictionary(
      fc.constantFrom("type", "vvcumec", "subject"),
      fc.constantFrom("t1", "t2", "mec-a", "mec-b", "", "-"),
      { maxKeys: 2 },
    );
    fc.assert(
      fc.property(
        fc.array(filter, { maxLength: 6 }),
        fc.array(fc.record({ type: value, vvcumec: value, subject: value, other: value }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        (filters, events, maxRemembered) => {
          const routes: TriggerRoute[] = filters.map((f, i) => ({
            name: `r${i}`,
            broker: "b",
            filter: f,
            subscriber: `s${i}`,
          }));
          const matcher = new TriggerMatcher(routes, maxRemembered);
          for (const attributes of [...events, ...events]) {
            expect(matcher.matching(attributes)).toEqual(matchingTriggers(routes, attributes));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("names the file and the document of a broken Trigger", () => {
    const broken = "kind: Trigger\nmetadata: {name: x}\nspec: {broker: vvcu}\n";
    expect(() => parseTriggers(broken, "bad.yaml")).toThrow(/bad\.yaml: document 1: .*subscriber/s);
  });

  it("reports a missing file clearly", () => {
    expect(() => loadTriggers("/nonexistent/triggers.yaml")).toThrow(/cannot read triggers \/nonexistent/);
  });
});
