import { CloudEvent } from "cloudevents";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { traceparentFor } from "../../../bridges/mqtt/event.ts";
import { EXTENSIONS } from "../../../functions/lib/events.ts";
import {
  eventLogContext,
  migrationLogContext,
  newTraceparent,
  traceIdOf,
  traceparentOrNew,
} from "../../../functions/lib/tracing.ts";

const VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("traceIdOf", () => {
  it("reads the trace id of a W3C traceparent", () => {
    expect(traceIdOf(VALID)).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("refuses what is not a valid traceparent, without throwing", () => {
    for (const bad of [
      undefined,
      42,
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // no trace
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // no parent
      ` ${VALID}`,
    ]) {
      expect(traceIdOf(bad), String(bad)).toBeUndefined();
    }
  });

  it("reads back the trace id of every traceparent the bridge and newTraceparent make", () => {
    fc.assert(
      fc.property(fc.string(), (id) => {
        const traceparent = traceparentFor(id);
        expect(traceIdOf(traceparent)).toBe(traceparent.split("-")[1]);
      }),
    );
    const fresh = new Set(Array.from({ length: 50 }, () => traceIdOf(newTraceparent())));
    expect(fresh.has(undefined)).toBe(false);
    expect(fresh.size).toBe(50);
  });
});

describe("traceparentOrNew", () => {
  it("keeps a valid traceparent and replaces a missing or broken one", () => {
    expect(traceparentOrNew(VALID)).toBe(VALID);
    for (const given of [undefined, "", "nonsense", ["a"]]) {
      const made = traceparentOrNew(given);
      expect(traceIdOf(made)).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});

describe("eventLogContext", () => {
  it("gives the station, migration and trace of an event", () => {
    const event = new CloudEvent({
      type: "io.vvcu.migration.started",
      source: "/vvcu/mec-a/migration",
      subject: "1001",
      data: {},
      [EXTENSIONS.migration]: "m-1",
      [EXTENSIONS.traceparent]: VALID,
    });
    expect(eventLogContext(event)).toEqual({
      stationId: "1001",
      migrationId: "m-1",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
  });

  it("leaves out what the event does not carry or carries broken", () => {
    expect(eventLogContext({ subject: "7", [EXTENSIONS.traceparent]: "broken" })).toEqual({
      stationId: "7",
    });
    expect(eventLogContext({})).toEqual({});
  });
});

describe("migrationLogContext", () => {
  it("names the migration, its station and, when there is one, its trace", () => {
    expect(migrationLogContext({ id: "m-2", twin: "1002" }, VALID)).toEqual({
      stationId: "1002",
      migrationId: "m-2",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
    expect(migrationLogContext({ id: "m-2", twin: "1002" }, undefined)).toEqual({
      stationId: "1002",
      migrationId: "m-2",
    });
  });
});
