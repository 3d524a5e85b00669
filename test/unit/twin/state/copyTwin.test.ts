import { describe, expect, it } from "vitest";
import { type Twin, TwinSchema } from "../../../../functions/lib/model/twin.ts";
import { copyTwin } from "../../../../functions/lib/twin/state/copyTwin.ts";

/** A twin with every field of the schema set, each to a value of its own. */
function fullTwin(): Twin {
  return TwinSchema.parse({
    id: "car-1",
    stationType: "passengerCar",
    mec: "mec-a",
    status: "stable",
    liveness: "live",
    position: { lat: 40.64, lon: -8.65, alt: 12 },
    speed: 13.9,
    heading: 87,
    longitudinalAcceleration: -0.6,
    yawRate: 1.25,
    length: 4.6,
    width: 1.8,
    exteriorLights: ["lowBeamHeadlightsOn"],
    lastSeen: "2026-11-28T08:00:00.000Z",
    createdAt: "2026-11-28T07:00:00.000Z",
    messages: { cam: 3, cpm: 1, denm: 0, vam: 0, logs: 2 },
    messageRates: { cam: 10 },
    trajectory: [{ lat: 40.64, lon: -8.65, timeMs: 1 }],
    distanceM: 120,
    averageSpeed: 12,
    maxSpeed: 15,
    perceivedObjects: [{ objectId: 1, lat: 40.641, lon: -8.651 }],
    hazards: [{ actionId: "1:1", causeCode: 3, validUntil: "2026-11-28T09:00:00.000Z" }],
    network: { rssiDbm: -70 },
    neighbours: [{ id: "car-2", distanceM: 30, relativeSpeed: 1 }],
    sequence: 42,
    version: 7,
  });
}

describe("copyTwin", () => {
  it("copies every field the twin model has", () => {
    const twin = fullTwin();
    expect(Object.keys(twin).sort()).toEqual(Object.keys(TwinSchema.shape).sort());
    const copy = copyTwin(twin);
    expect(copy).toStrictEqual(twin);
    expect(copy).not.toBe(twin);
  });

  it("leaves absent optional fields absent, not undefined", () => {
    const { position, speed, heading, exteriorLights, ...bare } = fullTwin();
    const copy = copyTwin(bare as Twin);
    expect(copy).toStrictEqual(bare);
    expect("position" in copy).toBe(false);
    expect(position && speed && heading && exteriorLights).toBeTruthy();
  });

  it("is shallow: changing the copy's fields leaves the original as it was", () => {
    const twin = fullTwin();
    const copy = copyTwin(twin);
    copy.speed = 0;
    copy.version = 8;
    expect(twin.speed).toBe(13.9);
    expect(twin.version).toBe(7);
  });
});
