import { CloudEvent, HTTP } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EXTENSIONS,
  isoTimeOf,
  type OwnEventAttributes,
  ownCloudEvent,
} from "../../../functions/lib/events.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

const cases: Record<string, OwnEventAttributes<unknown>> = {
  "a twin update with a trace": {
    id: "e-1",
    time: "2026-11-28T08:00:00.000Z",
    type: "io.vvcu.twin.updated",
    source: "/vvcu/mec-a/twin",
    subject: "1001",
    datacontenttype: "application/json",
    data: { twin: { id: "1001", neighbours: [] } },
    [EXTENSIONS.mec]: "mec-a",
    [EXTENSIONS.traceparent]: TRACEPARENT,
  },
  "a bridged CAM, spec version given, no subject": {
    specversion: "1.0",
    id: "abc",
    time: "2026-11-28T08:00:00.100Z",
    type: "io.vvcu.cits.cam.received",
    source: "/vvcu/mec-b/bridge",
    data: { type: "cam", stationId: "7" },
    [EXTENSIONS.messageType]: "cam",
    [EXTENSIONS.quadkey]: "0331",
  },
  "an expiry with an extension left undefined": {
    id: "x",
    time: "2026-11-28T08:00:01.000Z",
    type: "io.vvcu.twin.expired",
    source: "/vvcu/mec-a/twin",
    data: { id: "1", mec: "mec-a", lastSeen: "2026-11-28T07:59:00.000Z" },
    [EXTENSIONS.traceparent]: undefined,
  },
  "binary data (the SDK builds it)": {
    id: "b",
    time: "2026-11-28T08:00:02.000Z",
    type: "io.vvcu.cits.logs.received",
    source: "/vvcu/mec-a/bridge",
    data: new Uint8Array([1, 2, 3]),
  },
};

describe("ownCloudEvent", () => {
  for (const [name, attributes] of Object.entries(cases)) {
    it(`builds what new CloudEvent(attributes, false) builds: ${name}`, () => {
      const fast = ownCloudEvent(attributes);
      const sdk = new CloudEvent<unknown>(attributes, false);
      expect(Object.getPrototypeOf(fast)).toBe(CloudEvent.prototype);
      expect(fast).toBeInstanceOf(CloudEvent);
      expect(Object.keys(fast)).toEqual(Object.keys(sdk));
      for (const key of Object.keys(sdk)) {
        expect((fast as unknown as Record<string, unknown>)[key], key).toEqual(
          (sdk as unknown as Record<string, unknown>)[key],
        );
      }
      expect(Object.isFrozen(fast)).toBe(true);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(sdk));
      expect(HTTP.binary(fast)).toEqual(HTTP.binary(sdk));
      expect(fast.validate()).toBe(true);
    });
  }

  it("gives a fresh UUID and the current time when none is given, like the SDK", () => {
    const before = Date.now();
    const first = ownCloudEvent({ type: "io.vvcu.twin.created", source: "/vvcu/mec-a/twin", data: {} });
    const second = ownCloudEvent({ type: "io.vvcu.twin.created", source: "/vvcu/mec-a/twin", data: {} });
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.id).not.toBe(first.id);
    expect(Date.parse(first.time as string)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(first.time as string)).toBeLessThanOrEqual(Date.now());
    expect(first.specversion).toBe("1.0");
  });

  it("does not validate: a bad attribute set is built, and validate() still reports it", () => {
    const event = ownCloudEvent({ type: "io.vvcu.twin.created", source: "", data: {} });
    expect(() => event.validate()).toThrow();
  });
});

describe("isoTimeOf", () => {
  it("formats any instant as Date#toISOString does, in any order, and refuses the rest", () => {
    const instant = fc.oneof(
      fc.integer({ min: 1_795_000_000_000, max: 1_795_000_005_000 }),
      fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
      fc.integer({ min: -3_000, max: 3_000 }),
    );
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 50 }), (instants) => {
        for (const ms of instants) expect(isoTimeOf(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 300 },
    );
    expect(isoTimeOf(-0)).toBe("1970-01-01T00:00:00.000Z");
    expect(isoTimeOf(-1)).toBe("1969-12-31T23:59:59.999Z");
    expect(isoTimeOf(1.9)).toBe("1970-01-01T00:00:00.001Z");
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1, -8.64e15 - 1]) {
      expect(isoTimeOf(bad)).toBeUndefined();
    }
  });
});
