/**
 * The system topics' exact JSON for a known state: values worked out by hand from the twins below,
 * so that a change to how they are computed cannot change what the dashboards get, byte for byte
 * (key order included).
 */
import { describe, expect, it } from "vitest";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { publicationBody } from "../../../functions/lib/proxy/publisher.ts";
import { ProxyState, type Publication } from "../../../functions/lib/proxy/state.ts";
import { dashboardTopics } from "../../../functions/lib/topics.ts";
import { migration } from "./twins.ts";

const NOW = Date.parse("2026-11-28T08:01:00.000Z");

function twinOf(id: string, mec: string, fields: Partial<Twin>): Twin {
  return {
    id,
    stationType: "passengerCar",
    mec,
    status: "stable",
    liveness: "live",
    lastSeen: "2026-11-28T08:00:00.000Z",
    createdAt: "2026-11-28T07:00:00.000Z",
    messages: { cam: 0, cpm: 0, denm: 0, vam: 0, logs: 0 },
    messageRates: {},
    trajectory: [],
    distanceM: 0,
    averageSpeed: 0,
    maxSpeed: 0,
    perceivedObjects: [],
    hazards: [],
    network: {},
    neighbours: [],
    sequence: 1,
    version: 1,
    ...fields,
  };
}

const position = { lat: 40.64, lon: -8.65 };

/** The row every twin gets on the dashboards, with the fields these twins leave at their defaults. */
const row = (fields: Record<string, unknown>) => ({
  id: fields.id,
  stationType: "passengerCar",
  mec: fields.mec,
  status: "stable",
  liveness: "live",
  lat: 40.64,
  lon: -8.65,
  speedKmh: null,
  heading: null,
  averageSpeedKmh: 0,
  maxSpeedKmh: 0,
  distanceKm: 0,
  objects: 0,
  hazards: 0,
  neighbours: 0,
  messages: 0,
  messagesPerS: 0,
  throughputBps: null,
  rssiDbm: null,
  rsrpDbm: null,
  rsrqDb: null,
  sinrDb: null,
  lastSeen: "2026-11-28T08:00:00.000Z",
  ...fields,
});

/** Two MECs' twins, one updated, three migrating (one completed, one failed), one expired; and a MEC without twins. */
function knownState(): ProxyState {
  const state = new ProxyState(["mec-c"]);
  const car2 = twinOf("car-2", "mec-a", {
    speed: 10,
    heading: 90,
    position,
    averageSpeed: 8,
    maxSpeed: 12.5,
    distanceM: 1234.5678,
    messages: { cam: 120, cpm: 0, denm: 2, vam: 0, logs: 0 },
    messageRates: { cam: 10, denm: 0.5 },
    network: { throughputBps: 2_400_000, rssiDbm: -67 },
    lastSeen: "2026-11-28T08:00:01.000Z",
  });
  state.applyTwin(car2);
  state.applyTwin(
    twinOf("car-10", "mec-a", {
      liveness: "stale",
      messages: { cam: 3, cpm: 0, denm: 0, vam: 0, logs: 0 },
      messageRates: { cam: 1 / 3 },
    }),
  );
  state.applyTwin(
    twinOf("rsu-1", "mec-b", {
      stationType: "roadSideUnit",
      speed: 0,
      position,
      messages: { cam: 0, cpm: 5, denm: 0, vam: 0, logs: 1 },
      messageRates: { cpm: 1, logs: 0.2 },
      perceivedObjects: [
        { objectId: 1, lat: 40.6444, lon: -8.6454, speed: 8.5 },
        { objectId: 2, lat: 40.6446, lon: -8.6457 },
      ],
      hazards: [{ actionId: "rsu-1:1", causeCode: 97, validUntil: "2026-11-28T08:02:00.000Z" }],
      neighbours: [{ id: "car-2", distanceM: 30, relativeSpeed: 1 }],
    }),
  );
  state.applyTwin(twinOf("car-3", "mec-a", { speed: 25, position, messageRates: { cam: 2 } }));
  state.applyTwin(twinOf("car-5", "mec-b", { speed: 5, position, messageRates: { cam: 1 } }));
  state.applyTwin(twinOf("car-4", "mec-b", { speed: 30, position }));
  // An update keeps the twin's place in the list.
  state.applyTwin({ ...car2, speed: 15, sequence: 2 });

  const moving = { twin: "car-3", from: "mec-a", to: "mec-b" };
  state.applyMigration("started", migration({ id: "m-1", ...moving }));
  state.applyMigration("completed", migration({ id: "m-1", ...moving, status: "completed", step: "done" }));
  state.applyMigration("started", migration({ id: "m-2", twin: "car-5", from: "mec-b", to: "mec-a" }));
  const failing = { id: "m-3", twin: "car-2", from: "mec-a", to: "mec-b" };
  state.applyMigration("started", migration(failing));
  state.applyMigration("failed", migration({ ...failing, status: "failed", error: "target not ready" }));
  state.expire("car-4", "mec-b");
  return state;
}

const bodyOf = (publication: Publication | undefined): string => publicationBody(publication?.payload);

describe("ProxyState.systemPublications", () => {
  const publications = knownState().systemPublications(NOW);
  const published = (topic: string) => bodyOf(publications.find((p) => p.topic === topic));

  it("publishes the system, MEC, twin and object topics, retained", () => {
    expect(publications.map((p) => [p.topic, p.retain, p.kind])).toEqual([
      [dashboardTopics.system, true, "system"],
      [dashboardTopics.mecs, true, "mecs"],
      [dashboardTopics.twinsAll, true, "twins"],
      [dashboardTopics.objectsAll, true, "objects"],
    ]);
  });

  it("sums the twins overall, per message type and per MEC, null where no twin has a speed", () => {
    const expected = {
      twins: 5,
      twinsMigrating: 1,
      twinsStale: 1,
      averageSpeedKmh: 40.5, // (54 + 0 + 90 + 18) / 4: car-10 has no speed
      perceivedObjects: 2,
      hazards: 1,
      messagesPerS: 15.033,
      camPerS: 13.333, // 10 + 1/3 + 2 + 1
      cpmPerS: 1,
      denmPerS: 0.5,
      vamPerS: 0,
      logsPerS: 0.2,
      migrationsCompleted: 1,
      migrationsFailed: 1,
      migrationsRolledBack: 0,
      migrationsRunning: 1,
      "twins_mec-a": 2,
      "averageSpeedKmh_mec-a": 54,
      "twins_mec-b": 3,
      "averageSpeedKmh_mec-b": 36, // (0 + 90 + 18) / 3
      "twins_mec-c": 0,
      "averageSpeedKmh_mec-c": null,
      updatedAt: "2026-11-28T08:01:00.000Z",
    };
    expect(JSON.parse(published(dashboardTopics.system))).toEqual(expected);
    expect(published(dashboardTopics.system)).toBe(JSON.stringify(expected));
  });

  it("lists each MEC's twins with ids in string order", () => {
    const expected = [
      { mec: "mec-a", twins: 2, ids: "car-10, car-2", averageSpeedKmh: 54 },
      { mec: "mec-b", twins: 3, ids: "car-3, car-5, rsu-1", averageSpeedKmh: 36 },
      { mec: "mec-c", twins: 0, ids: "", averageSpeedKmh: null },
    ];
    expect(published(dashboardTopics.mecs)).toBe(JSON.stringify(expected));
  });

  it("lists every twin in the order it first came, as it is after its migrations", () => {
    const expected = [
      row({
        id: "car-2",
        mec: "mec-a",
        speedKmh: 54,
        heading: 90,
        averageSpeedKmh: 28.8,
        maxSpeedKmh: 45,
        distanceKm: 1.235,
        messages: 122,
        messagesPerS: 10.5,
        throughputBps: 2_400_000,
        rssiDbm: -67,
        lastSeen: "2026-11-28T08:00:01.000Z",
      }),
      row({
        id: "car-10",
        mec: "mec-a",
        liveness: "stale",
        lat: null,
        lon: null,
        messages: 3,
        messagesPerS: 0.333,
      }),
      row({
        id: "rsu-1",
        stationType: "roadSideUnit",
        mec: "mec-b",
        speedKmh: 0,
        objects: 2,
        hazards: 1,
        neighbours: 1,
        messages: 6,
        messagesPerS: 1.2,
      }),
      row({ id: "car-3", mec: "mec-b", speedKmh: 90, messagesPerS: 2 }),
      row({ id: "car-5", mec: "mec-b", status: "migrating", speedKmh: 18, messagesPerS: 1 }),
    ];
    expect(JSON.parse(published(dashboardTopics.twinsAll))).toEqual(expected);
    expect(published(dashboardTopics.twinsAll)).toBe(JSON.stringify(expected));
  });

  it("lists every perceived object, null where it has no speed", () => {
    const expected = [
      { twin: "rsu-1", lat: 40.6444, lon: -8.6454, speedKmh: 30.6 },
      { twin: "rsu-1", lat: 40.6446, lon: -8.6457, speedKmh: null },
    ];
    expect(published(dashboardTopics.objectsAll)).toBe(JSON.stringify(expected));
  });

  it("publishes an empty list of twins and objects when there are none", () => {
    const empty = new ProxyState().systemPublications(NOW);
    expect(empty.slice(1).map(bodyOf)).toEqual(["[]", "[]", "[]"]);
  });
});
