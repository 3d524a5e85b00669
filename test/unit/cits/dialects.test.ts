import { describe, expect, it } from "vitest";
import { CitsMessageSchema } from "../../../functions/lib/cits/types.ts";
import { decodeFixture, decodeOk, FIXTURE_TOPICS, fixtureJson, RECEIVED_AT_MS } from "./fixtures.ts";

const lightsOn = ["lowBeamHeadlightsOn", "leftTurnSignalOn"];

/** Metres per degree of latitude and of longitude on the WGS84 ellipsoid at `lat`. */
function degreeLength(lat: number): { lat: number; lon: number } {
  const e2 = 0.00669437999014;
  const sin = Math.sin((lat * Math.PI) / 180);
  const w = 1 - e2 * sin * sin;
  const primeVertical = 6_378_137 / Math.sqrt(w);
  const meridian = (primeVertical * (1 - e2)) / w;
  const toDegree = Math.PI / 180;
  return { lat: meridian * toDegree, lon: primeVertical * Math.cos(lat * toDegree) * toDegree };
}

describe("every dialect decodes to the normalized shape", () => {
  it("vanetza-nap output envelope, transformed units (CAM)", () => {
    expect(decodeFixture("vanetza-out-cam.json")).toEqual({
      type: "cam",
      stationId: "1042",
      stationType: "passengerCar",
      timeMs: 1764316800120,
      sequence: expect.closeTo(1764316800120.287, 3),
      origin: { topic: "vanetza/out/cam", dialect: "vanetza-out", units: "transformed" },
      position: { lat: 40.6405123, lon: -8.6537891, alt: 12.35 },
      speed: 13.89,
      heading: 87.4,
      longitudinalAcceleration: -0.6,
      yawRate: 1.25,
      length: 4.6,
      width: 1.8,
      exteriorLights: lightsOn,
    });
  });

  it("keeps the envelope timestamp's sub-millisecond part in sequence", () => {
    const message = decodeFixture("vanetza-out-cam.json");
    expect(message.sequence).toBeCloseTo(1764316800120.287, 3);
  });

  it("vanetza-nap output envelope carrying raw ETSI integers gives the same values", () => {
    const raw = decodeFixture("vanetza-out-cam-raw.json");
    const transformed = decodeFixture("vanetza-out-cam.json");
    expect(raw.origin.units).toBe("raw");
    expect({ ...raw, origin: undefined }).toEqual({ ...transformed, origin: undefined });
  });

  it("vanetza/in body (camParameters, generationDeltaTime, stationID), raw by default", () => {
    expect(decodeFixture("vanetza-in-cam.json")).toEqual({
      type: "cam",
      stationId: "2001",
      stationType: "passengerCar",
      timeMs: RECEIVED_AT_MS,
      sequence: RECEIVED_AT_MS,
      origin: { topic: "vanetza/in/cam", dialect: "vanetza-in", units: "raw" },
      position: { lat: 40.6312345, lon: -8.6512345 },
      speed: 25,
      heading: 180,
      longitudinalAcceleration: 0.5,
      yawRate: -1.5,
      length: 4.5,
      width: 1.8,
      exteriorLights: lightsOn,
    });
  });

  it("vanetza/in body in vanetza-nap's transformed units is recognised by its fractional latitude", () => {
    const message = decodeFixture("vanetza-in-cam-transformed.json");
    expect(message.origin.units).toBe("transformed");
    expect(message).toMatchObject({
      stationId: "2002",
      position: { lat: 40.6312345, lon: -8.6512345 },
      speed: 25,
    });
  });

  it("the older flat vanetza/in CAM body", () => {
    expect(decodeFixture("vanetza-in-cam-flat.json")).toEqual({
      type: "cam",
      stationId: "2003",
      stationType: "passengerCar",
      timeMs: RECEIVED_AT_MS,
      sequence: RECEIVED_AT_MS,
      origin: { topic: "vanetza/in/cam", dialect: "vanetza-in", units: "raw" },
      position: { lat: 40.64, lon: -8.65 },
      speed: 12,
      heading: 90,
      longitudinalAcceleration: 0,
      yawRate: 0,
      length: 4.5,
      width: 1.8,
    });
  });

  it("ITS-centre feed: station and quadkey from the topic", () => {
    expect(decodeFixture("its-center-cam.json")).toEqual({
      type: "cam",
      stationId: "33",
      stationType: "passengerCar",
      timeMs: RECEIVED_AT_MS,
      sequence: RECEIVED_AT_MS,
      origin: {
        topic: FIXTURE_TOPICS["its-center-cam.json"],
        dialect: "its-center",
        quadkey: "033102120312301223",
        units: "raw",
      },
      position: { lat: 40.638, lon: -8.657, alt: 15 },
      speed: 8.33,
      heading: 270,
      longitudinalAcceleration: -1,
      yawRate: 0,
      length: 4.2,
      width: 1.7,
      exteriorLights: [],
    });
  });

  it("the topic's station id wins over the payload's", () => {
    const body = fixtureJson("its-center-cam.json");
    expect(decodeOk("its_center/inqueue/json/99/CAM/0/1", body).stationId).toBe("99");
  });

  it("per-station obu feed with the nested {CAM: {header, cam}} form; sentinels are absent", () => {
    expect(decodeFixture("obu-cam-nested.json")).toEqual({
      type: "cam",
      stationId: "3306",
      stationType: "passengerCar",
      timeMs: RECEIVED_AT_MS,
      sequence: RECEIVED_AT_MS,
      origin: { topic: "obu/inqueue/json/3306/CAM", dialect: "obu-feed", units: "raw" },
      position: { lat: 40.639, lon: -8.652 },
      speed: 0,
      exteriorLights: [],
    });
  });

  it("the nested form without a topic", () => {
    const message = decodeOk("", fixtureJson("obu-cam-nested.json"));
    expect(message.origin).toEqual({ topic: "", dialect: "nested", units: "raw" });
    expect(message.stationId).toBe("3306");
    expect(message.type).toBe("cam");
  });

  it("a vanetza-nap envelope without a topic: type from fields, transformed by default", () => {
    const message = decodeOk("", fixtureJson("vanetza-out-denm.json"));
    expect(message.type).toBe("denm");
    expect(message.origin).toEqual({ topic: "", dialect: "vanetza-out", units: "transformed" });
  });

  it("a {header, cpm} body without a topic: type from its key", () => {
    const message = decodeOk("", fixtureJson("its-center-cpm.json"));
    expect(message.type).toBe("cpm");
    expect(message.stationId).toBe("87");
    expect(message.origin).toEqual({ topic: "", dialect: "plain", units: "raw" });
  });

  it("a body without a topic or message key: type from the header's messageId", () => {
    const message = decodeOk("", {
      header: { protocolVersion: 3, messageId: 16, stationId: 5 },
      basicContainer: { stationType: 2, referencePosition: { latitude: 40.64, longitude: -8.65 } },
      vruHighFrequencyContainer: { heading: { value: 10.5 }, speed: { speedValue: 4.2 } },
    });
    expect(message).toMatchObject({
      type: "vam",
      stationId: "5",
      stationType: "cyclist",
      position: { lat: 40.64, lon: -8.65 },
      heading: 10.5,
      speed: 4.2,
    });
  });

  it("VAM from vanetza-nap (pedestrian)", () => {
    expect(decodeFixture("vanetza-out-vam.json")).toEqual({
      type: "vam",
      stationId: "3001",
      stationType: "pedestrian",
      timeMs: 1764316802250,
      sequence: 1764316802250,
      origin: { topic: "vanetza/out/vam", dialect: "vanetza-out", units: "transformed" },
      position: { lat: 40.6411, lon: -8.6541, alt: 8.5 },
      speed: 1.4,
      heading: 271.5,
      longitudinalAcceleration: 0.2,
    });
  });

  it("station logs: LOGS/network", () => {
    expect(decodeFixture("obu-logs-network.json")).toEqual({
      type: "logs",
      kind: "network",
      stationId: "3306",
      timeMs: 1764316805000,
      sequence: 1764316805000,
      origin: { topic: "obu/inqueue/json/3306/LOGS/network", dialect: "obu-feed", units: "raw" },
      throughputBps: 2450000,
      rxBytes: 1048576,
      txBytes: 524288,
      values: { latency_ms: 12.5 },
    });
  });

  it("station logs: LOGS/access", () => {
    expect(decodeFixture("obu-logs-access.json")).toEqual({
      type: "logs",
      kind: "access",
      stationId: "3306",
      timeMs: 1764316806000,
      sequence: 1764316806000,
      origin: { topic: "obu/inqueue/json/3306/LOGS/access", dialect: "obu-feed", units: "raw" },
      rssiDbm: -67,
      rsrpDbm: -95,
      rsrqDb: -11,
      sinrDb: 14.5,
      values: { "cell.pci": 212, "cell.earfcn": 6300 },
    });
  });

  it("every fixture decodes to a message the CitsMessageSchema accepts", () => {
    for (const name of Object.keys(FIXTURE_TOPICS)) {
      const parsed = CitsMessageSchema.safeParse(decodeFixture(name));
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
    }
  });
});

describe("CPM", () => {
  it("TS 103 324 layout from vanetza-nap: objects east/north of the reference, speeds and headings", () => {
    const message = decodeFixture("vanetza-out-cpm.json");
    expect(message).toMatchObject({
      type: "cpm",
      stationId: "777",
      timeMs: 1764316803000,
      origin: { topic: "vanetza/out/cpm", dialect: "vanetza-out", units: "transformed" },
      referencePosition: { lat: 40.6345, lon: -8.6604, alt: 3.1 },
      heading: 45,
    });
    if (message.type !== "cpm") throw new Error("not a CPM");
    const [moving, still] = message.perceivedObjects;
    // 30 m east, 40 m north: 50 m at bearing 36.87 degrees.
    expect(moving).toMatchObject({
      objectId: 7,
      xDistance: 30,
      yDistance: 40,
      speed: 5,
      classification: "vehicle",
    });
    expect(moving?.heading).toBeCloseTo(36.8699, 3);
    expect(moving?.position?.lat).toBeCloseTo(40.6345 + 40 / degreeLength(40.6345).lat, 6);
    expect(moving?.position?.lon).toBeCloseTo(-8.6604 + 30 / degreeLength(40.6345).lon, 6);
    // Not moving: speed 0, heading from its orientation (zAngle).
    expect(still).toMatchObject({ objectId: 9, xDistance: -100, yDistance: 0, speed: 0, heading: 90 });
    expect(still?.position?.lat).toBeCloseTo(40.6345, 6);
    expect(still?.position?.lon).toBeCloseTo(-8.6604 - 100 / degreeLength(40.6345).lon, 6);
  });

  it("TR 103 562 layout on the ITS-centre feed, raw: 0.01 m distances and 0.01 m/s speeds", () => {
    const message = decodeFixture("its-center-cpm.json");
    expect(message).toMatchObject({
      type: "cpm",
      stationId: "87",
      stationType: "roadSideUnit",
      origin: { units: "raw", quadkey: "033102120312301221" },
      referencePosition: { lat: 40.628042, lon: -8.732658, alt: 2 },
    });
    if (message.type !== "cpm") throw new Error("not a CPM");
    expect(message.perceivedObjects).toHaveLength(1);
    const [object] = message.perceivedObjects;
    expect(object).toMatchObject({
      objectId: 0,
      xDistance: 0,
      yDistance: 48,
      speed: 19.44,
      heading: 180,
      classification: "vehicle",
    });
    expect(object?.position?.lat).toBeCloseTo(40.628042 + 48 / degreeLength(40.628042).lat, 6);
    expect(object?.position?.lon).toBeCloseTo(-8.732658, 6);
  });

  it("nested {CPM: {cpm: {cpmParameters}}} with {PerceivedObject: ...} items and vehicle heading/speed", () => {
    const message = decodeFixture("obu-cpm-nested.json");
    expect(message).toMatchObject({ type: "cpm", stationId: "3306", heading: 90, speed: 10 });
    if (message.type !== "cpm") throw new Error("not a CPM");
    expect(message.perceivedObjects[0]).toMatchObject({
      objectId: 4,
      xDistance: 25,
      yDistance: 0,
      speed: 12,
      heading: 90,
    });
    expect(message.perceivedObjects[0]?.position?.lon).toBeCloseTo(-8.652 + 25 / degreeLength(40.639).lon, 6);
  });

  it("objects keep their offsets but get no position when the reference position is unavailable", () => {
    const body = fixtureJson("its-center-cpm.json") as {
      cpm: { cpmParameters: { managementContainer: { referencePosition: Record<string, unknown> } } };
    };
    body.cpm.cpmParameters.managementContainer.referencePosition.latitude = 900000001;
    const message = decodeOk(FIXTURE_TOPICS["its-center-cpm.json"] as string, body);
    if (message.type !== "cpm") throw new Error("not a CPM");
    expect(message.referencePosition).toBeUndefined();
    expect(message.perceivedObjects[0]).toEqual({
      objectId: 0,
      xDistance: 0,
      yDistance: 48,
      speed: 19.44,
      heading: 180,
      classification: "vehicle",
    });
  });
});

describe("DENM", () => {
  it("vanetza-nap release-2 JSON: ccAndScc, transformed detection time in seconds since 2004", () => {
    expect(decodeFixture("vanetza-out-denm.json")).toEqual({
      type: "denm",
      stationId: "1042",
      stationType: "passengerCar",
      timeMs: 1764316804500,
      sequence: 1764316804500,
      origin: { topic: "vanetza/out/denm", dialect: "vanetza-out", units: "transformed" },
      actionId: "1042:3",
      eventType: { causeCode: 97, subCauseCode: 2, description: "collision risk" },
      eventPosition: { lat: 40.6421, lon: -8.6489, alt: 10 },
      // 2004-01-01 + 691574400.25 s, less the 5 leap seconds TimestampIts counts since 2004.
      detectionTimeMs: 1_072_915_200_000 + 691_574_400_250 - 5_000,
      referenceTimeMs: 1_072_915_200_000 + 691_574_400_250 - 5_000,
      validityDurationS: 120,
    });
  });

  it("ITS-centre release-1 JSON: raw TimestampIts ms, causeCode/subCauseCode, default validity, cancellation", () => {
    expect(decodeFixture("its-center-denm.json")).toEqual({
      type: "denm",
      stationId: "34",
      stationType: "roadSideUnit",
      timeMs: RECEIVED_AT_MS,
      sequence: RECEIVED_AT_MS,
      origin: {
        topic: FIXTURE_TOPICS["its-center-denm.json"],
        dialect: "its-center",
        quadkey: "033102120312301223",
        units: "raw",
      },
      actionId: "34:12",
      eventType: { causeCode: 3, subCauseCode: 4, description: "roadworks" },
      eventPosition: { lat: 40.645, lon: -8.655 },
      detectionTimeMs: 1_072_915_200_000 + 690_000_000_000 - 5_000,
      referenceTimeMs: 1_072_915_200_000 + 690_000_000_000 - 5_000,
      validityDurationS: 600,
      termination: "isCancellation",
    });
  });

  it("an older vanetza-nap detection time in Unix seconds", () => {
    const body = fixtureJson("vanetza-out-denm.json") as {
      fields: { denm: { management: Record<string, unknown> } };
    };
    body.fields.denm.management.detectionTime = 1626453837.658;
    const message = decodeOk("vanetza/out/denm", body);
    expect(message.type === "denm" && message.detectionTimeMs).toBeCloseTo(1626453837658, 0);
  });

  it("a cause code outside the table has no description", () => {
    const body = fixtureJson("its-center-denm.json") as {
      denm: { situation: { eventType: Record<string, unknown> } };
    };
    body.denm.situation.eventType = { causeCode: 42, subCauseCode: 0 };
    const message = decodeOk(FIXTURE_TOPICS["its-center-denm.json"] as string, body);
    expect(message.type === "denm" && message.eventType).toEqual({ causeCode: 42, subCauseCode: 0 });
  });
});
