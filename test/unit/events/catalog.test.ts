import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  EVENT_CATALOG,
  EVENT_EXTENSIONS,
  EVENT_TYPES,
  EXTENSIONS,
  isEventType,
  parseEventData,
} from "../../../functions/lib/events.ts";
import {
  consumersByType,
  EVENTS_DOC_PATH,
  renderEventsDoc,
  TRIGGERS_PATH,
} from "../../../scripts/gen-events-doc.ts";

const REVERSE_DNS_TYPE = /^io\.vvcu(\.[a-z][a-z0-9]*)+$/;

describe("the event catalog", () => {
  it("names every type in reverse-DNS form under io.vvcu", () => {
    expect(EVENT_TYPES.length).toBeGreaterThanOrEqual(14);
    for (const type of EVENT_TYPES) expect(type).toMatch(REVERSE_DNS_TYPE);
  });

  it("covers what the issue lists: C-ITS received, twin created/updated/expired, every migration step", () => {
    for (const message of ["cam", "cpm", "denm", "vam", "logs"]) {
      expect(isEventType(`io.vvcu.cits.${message}.received`)).toBe(true);
    }
    for (const step of ["created", "updated", "expired"])
      expect(isEventType(`io.vvcu.twin.${step}`)).toBe(true);
    for (const step of ["requested", "started", "ready", "completed", "failed", "rolledback"]) {
      expect(isEventType(`io.vvcu.migration.${step}`)).toBe(true);
    }
    expect(isEventType("io.vvcu.twin.deleted")).toBe(false);
  });

  it("uses CloudEvents-legal extension names (a-z0-9, at most 20 characters) on every type", () => {
    for (const name of Object.values(EXTENSIONS)) expect(name).toMatch(/^[a-z0-9]{1,20}$/);
    for (const type of EVENT_TYPES) {
      expect(EVENT_EXTENSIONS[type]).toContain("mec");
      for (const key of EVENT_EXTENSIONS[type]) expect(Object.keys(EXTENSIONS)).toContain(key);
    }
    expect(EVENT_EXTENSIONS["io.vvcu.migration.completed"]).toContain("migration");
    expect(EVENT_EXTENSIONS["io.vvcu.cits.cam.received"]).toContain("messageType");
  });

  it("rejects bad data with a reason that names the field", () => {
    const missing = parseEventData("io.vvcu.twin.expired", { id: "42", mec: "mec-a" });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/lastSeen/);

    const wrongType = parseEventData("io.vvcu.twin.expired", {
      id: 42,
      mec: "mec-a",
      lastSeen: "2026-01-01T00:00:00Z",
    });
    expect(wrongType.ok).toBe(false);
    if (!wrongType.ok) expect(wrongType.reason).toMatch(/id/);

    const notAnObject = parseEventData("io.vvcu.migration.failed", "boom");
    expect(notAnObject.ok).toBe(false);
    if (!notAnObject.ok) expect(notAnObject.reason.length).toBeGreaterThan(0);

    const badCam = parseEventData("io.vvcu.cits.cam.received", { type: "denm", stationId: "" });
    expect(badCam.ok).toBe(false);
    if (!badCam.ok) expect(badCam.reason).toMatch(/type|stationId/);
  });

  it("accepts good data and returns it", () => {
    const data = { id: "42", mec: "mec-a", lastSeen: "2026-01-01T00:00:00Z" };
    expect(parseEventData("io.vvcu.twin.expired", data)).toEqual({ ok: true, data });
  });

  it("describes every type, with a producer", () => {
    for (const type of EVENT_TYPES) {
      expect(EVENT_CATALOG[type].description.length).toBeGreaterThan(10);
      expect(EVENT_CATALOG[type].producer).toMatch(/^[a-z]+(, [a-z]+)*$/);
    }
  });
});

describe("knative/triggers.yaml", () => {
  const consumers = consumersByType(readFileSync(TRIGGERS_PATH, "utf8"));

  it("routes only catalog types", () => {
    expect(consumers.size).toBeGreaterThan(0);
    for (const type of consumers.keys())
      expect(isEventType(type), `${type} is not in the catalog`).toBe(true);
  });

  it("reads the consumers of each type", () => {
    expect(consumers.get("io.vvcu.migration.requested")).toEqual(["vvcu-migration"]);
    expect(consumers.get("io.vvcu.twin.updated")).toEqual(
      expect.arrayContaining(["vvcu-geofence", "vvcu-proxy"]),
    );
  });
});

describe("docs/events.md", () => {
  it("is up to date with the catalog (run npm run docs:events)", () => {
    expect(readFileSync(EVENTS_DOC_PATH, "utf8")).toBe(renderEventsDoc());
  });

  it("lists every type with its data fields", () => {
    const doc = renderEventsDoc();
    for (const type of EVENT_TYPES) expect(doc).toContain(`### ${type}\n`);
    expect(doc).toContain("| `lastSeen` | string | yes |");
    expect(doc).toContain(
      "| `vvcumigration` | `EXTENSIONS.migration` | Migration id, on migration.* events. |",
    );
  });

  it("changes when the catalog's source or routing changes", () => {
    const triggers = readFileSync(TRIGGERS_PATH, "utf8");
    const withoutProxy = triggers.replaceAll("name: vvcu-proxy\n", "name: vvcu-other\n");
    expect(renderEventsDoc(undefined, withoutProxy)).not.toBe(renderEventsDoc());
    expect(renderEventsDoc(undefined, withoutProxy)).toContain("vvcu-other");
  });
});
