import { describe, expect, it } from "vitest";
import { decode } from "../../../functions/lib/cits/decode.ts";
import type { CamMessage, CpmMessage } from "../../../functions/lib/cits/types.ts";
import {
  decideUnits,
  envelopeTimestampToMs,
  FIELDS,
  isSentinel,
  itsTimestampToUnixMs,
  type Reading,
} from "../../../functions/lib/cits/units.ts";
import { decodeFixture, decodeOk, RECEIVED_AT_MS } from "./fixtures.ts";

interface CamValues {
  latitude?: number;
  longitude?: number;
  altitude?: number;
  heading?: number;
  speed?: number;
  acceleration?: number;
  yawRate?: number;
  length?: number;
  width?: number;
}

/** A vanetza-nap CAM envelope with the given values in its usual places (absent ones left out). */
function camEnvelope(values: CamValues): object {
  const reference: Record<string, unknown> = { latitude: values.latitude, longitude: values.longitude };
  if (values.altitude !== undefined)
    reference.altitude = { altitudeValue: values.altitude, altitudeConfidence: 15 };
  const wrap = (key: string, value: number | undefined) =>
    value === undefined ? undefined : { [key]: value };
  return {
    fields: {
      header: { protocolVersion: 2, messageId: 2, stationId: 7 },
      cam: {
        generationDeltaTime: 1,
        camParameters: {
          basicContainer: { stationType: 5, referencePosition: reference },
          highFrequencyContainer: {
            basicVehicleContainerHighFrequency: {
              heading: wrap("headingValue", values.heading),
              speed: wrap("speedValue", values.speed),
              longitudinalAcceleration: wrap("value", values.acceleration),
              yawRate: wrap("yawRateValue", values.yawRate),
              vehicleLength: wrap("vehicleLengthValue", values.length),
              vehicleWidth: values.width,
            },
          },
        },
      },
    },
    timestamp: 1764316800.5,
    stationID: 7,
  };
}

function cam(topic: string, values: CamValues): CamMessage {
  const message = decodeOk(topic, camEnvelope(values));
  if (message.type !== "cam") throw new Error(`expected a CAM, got ${message.type}`);
  return message;
}

const RAW: CamValues = {
  latitude: 406405123,
  longitude: -86537891,
  altitude: 1235,
  heading: 874,
  speed: 1389,
  acceleration: -6,
  yawRate: 125,
  length: 46,
  width: 18,
};
const TRANSFORMED: CamValues = {
  latitude: 40.6405123,
  longitude: -8.6537891,
  altitude: 12.35,
  heading: 87.4,
  speed: 13.89,
  acceleration: -0.6,
  yawRate: 1.25,
  length: 4.6,
  width: 1.8,
};
const SI = {
  position: { lat: 40.6405123, lon: -8.6537891, alt: 12.35 },
  heading: 87.4,
  speed: 13.89,
  longitudinalAcceleration: -0.6,
  yawRate: 1.25,
  length: 4.6,
  width: 1.8,
};

describe("both unit systems, every scaled CAM field", () => {
  it.each([
    ["raw", RAW],
    ["transformed", TRANSFORMED],
  ] as const)("%s values decode to SI units and degrees", (units, values) => {
    // The same message on both kinds of topic: the values decide, not the topic default.
    for (const topic of ["vanetza/out/cam", "vanetza/in/cam"]) {
      const message = cam(topic, values);
      expect(message.origin.units).toBe(units);
      expect(message).toMatchObject(SI);
    }
  });

  it.each([
    ["latitude", "position.lat", 406405123, 40.6405123],
    ["longitude", "position.lon", -86537891, -8.6537891],
    ["altitude", "position.alt", -1234, -12.34],
    ["heading", "heading", 3600, 360],
    ["speed", "speed", 16382, 163.82],
    ["acceleration", "longitudinalAcceleration", 160, 16],
    ["yawRate", "yawRate", -32766, -327.66],
    ["length", "length", 1022, 102.2],
    ["width", "width", 61, 6.1],
  ] as const)("raw %s %#: the ETSI scale, up to the edge of its range", (field, output, raw, expected) => {
    const message = cam("vanetza/in/cam", { ...RAW, [field]: raw });
    const value = output
      .split(".")
      .reduce<unknown>((object, key) => (object as Record<string, unknown>)[key], message);
    expect(value).toBeCloseTo(expected, 9);
  });
});

describe("how a message's unit system is decided", () => {
  it("a latitude or longitude too large for degrees can only be raw, even next to a fractional value", () => {
    const message = cam("vanetza/out/cam", { latitude: 406405123, longitude: -86537891, speed: 8.5 });
    expect(message.origin.units).toBe("raw");
    expect(message.speed).toBeCloseTo(0.085, 9);
  });

  it("a fractional value in any scaled field means transformed", () => {
    const message = cam("vanetza/in/cam", { latitude: 40, longitude: -8, speed: 8.5 });
    expect(message.origin.units).toBe("transformed");
    expect(message.position).toEqual({ lat: 40, lon: -8 });
  });

  it("another value too large to be transformed means raw", () => {
    const message = cam("vanetza/out/cam", { latitude: 40, longitude: -8, heading: 900 });
    expect(message.origin.units).toBe("raw");
    expect(message.heading).toBe(90);
    expect(message.position?.lat).toBeCloseTo(0.000004, 12);
  });

  it("when nothing decides, the topic's default: vanetza/out and vanetza/in transformed, obu raw", () => {
    expect(cam("vanetza/out/cam", { latitude: 40, longitude: -8, speed: 10 })).toMatchObject({
      origin: { units: "transformed" },
      position: { lat: 40, lon: -8 },
      speed: 10,
    });
    // vanetza-nap converts what it is given as it converts what it emits: a vanetza/in body whose
    // values happen to be whole numbers is still in degrees and m/s, not raw (near 0, 0).
    expect(cam("vanetza/in/cam", { latitude: 40, longitude: -8, speed: 10 })).toMatchObject({
      origin: { units: "transformed" },
      position: { lat: 40, lon: -8 },
      speed: 10,
    });
    expect(cam("obu/inqueue/json/7/CAM", { latitude: 40, longitude: -8, speed: 10 })).toMatchObject({
      origin: { units: "raw" },
      speed: 0.1,
    });
  });

  it("sentinels are no evidence: vanetza-nap passes them through in transformed output", () => {
    const message = cam("vanetza/in/cam", {
      latitude: 40.5,
      longitude: -8.5,
      altitude: 800001,
      heading: 3601,
      speed: 16383,
    });
    expect(message.origin.units).toBe("transformed");
    expect(message.position).toEqual({ lat: 40.5, lon: -8.5 });
    expect(message.heading).toBeUndefined();
    expect(message.speed).toBeUndefined();
  });

  it("decideUnits applies the rules in order", () => {
    const reading = (field: keyof typeof FIELDS, value: number): Reading => ({
      field: FIELDS[field],
      value,
      path: field,
    });
    expect(decideUnits([], "raw")).toBe("raw");
    expect(decideUnits([], "transformed")).toBe("transformed");
    expect(decideUnits([reading("latitude", 900000001)], "transformed")).toBe("transformed");
    expect(decideUnits([reading("speed", 1.5), reading("longitude", -86537891)], "transformed")).toBe("raw");
    expect(decideUnits([reading("heading", 900), reading("speed", 1.5)], "raw")).toBe("transformed");
    expect(decideUnits([reading("heading", 900)], "transformed")).toBe("raw");
  });
});

describe("ETSI unavailable sentinels become no value", () => {
  it("a CAM with every value unavailable is kept, without position or kinematics", () => {
    expect(decodeFixture("vanetza-out-cam-unavailable.json")).toEqual({
      type: "cam",
      stationId: "1043",
      stationType: "passengerCar",
      timeMs: 1764316801500,
      sequence: 1764316801500,
      origin: { topic: "vanetza/out/cam", dialect: "vanetza-out", units: "transformed" },
      exteriorLights: [],
    });
  });

  it.each([
    ["latitude", 900000001, 90.0000001],
    ["longitude", 1800000001, 180.0000001],
    ["altitude", 800001, 8000.01],
    ["heading", 3601, 360.1],
    ["speed", 16383, 163.83],
    ["acceleration", 161, 16.1],
    ["yawRate", 32767, 327.67],
    ["length", 1023, 102.3],
    ["width", 62, 6.2],
  ] as const)(
    "%s: the raw sentinel in both systems, and its scaled form when transformed",
    (field, sentinel, scaled) => {
      const outputs: Record<string, (m: CamMessage) => unknown> = {
        latitude: (m) => m.position,
        longitude: (m) => m.position,
        altitude: (m) => m.position?.alt,
        heading: (m) => m.heading,
        speed: (m) => m.speed,
        acceleration: (m) => m.longitudinalAcceleration,
        yawRate: (m) => m.yawRate,
        length: (m) => m.length,
        width: (m) => m.width,
      };
      const read = outputs[field] as (m: CamMessage) => unknown;
      const rawMessage = cam("vanetza/in/cam", { ...RAW, [field]: sentinel });
      const transformedMessage = cam("vanetza/out/cam", { ...TRANSFORMED, [field]: sentinel });
      const scaledMessage = cam("vanetza/out/cam", { ...TRANSFORMED, [field]: scaled });
      expect(rawMessage.origin.units).toBe("raw");
      expect(transformedMessage.origin.units).toBe("transformed");
      expect(read(rawMessage)).toBeUndefined();
      expect(read(transformedMessage)).toBeUndefined();
      expect(read(scaledMessage)).toBeUndefined();
      expect(
        isSentinel(
          FIELDS[
            field === "acceleration"
              ? "longitudinalAcceleration"
              : field === "length"
                ? "vehicleLength"
                : field === "width"
                  ? "vehicleWidth"
                  : field
          ],
          sentinel,
        ),
      ).toBe(true);
    },
  );

  it("a CPM object speed of 16383 is unavailable", () => {
    const message = decodeOk("its_center/inqueue/json/87/CPM", {
      header: { stationID: 87 },
      cpm: {
        cpmParameters: {
          managementContainer: { referencePosition: { latitude: 406280420, longitude: -87326580 } },
          perceivedObjectContainer: [
            { objectID: 1, xDistance: { value: 100 }, yDistance: { value: 200 }, xSpeed: { value: 16383 } },
          ],
        },
      },
    }) as CpmMessage;
    expect(message.perceivedObjects[0]).toMatchObject({ objectId: 1, xDistance: 1, yDistance: 2 });
    expect(message.perceivedObjects[0]?.speed).toBeUndefined();
  });
});

describe("CPM units", () => {
  const object = (x: number, y: number, vx: number, vy: number) => ({
    objectID: 3,
    xDistance: { value: x },
    yDistance: { value: y },
    xSpeed: { value: vx },
    ySpeed: { value: vy },
  });
  const cpm = (lat: number, lon: number, item: object): CpmMessage =>
    decodeOk("vanetza/out/cpm", {
      stationID: 9,
      timestamp: 1764316800,
      fields: {
        cpm: {
          cpmParameters: {
            managementContainer: { referencePosition: { latitude: lat, longitude: lon } },
            perceivedObjectContainer: [item],
          },
        },
      },
    }) as CpmMessage;

  it("raw: distances in 0.01 m and speeds in 0.01 m/s", () => {
    const message = cpm(406280420, -87326580, object(-1500, 2000, 300, -400));
    expect(message.origin.units).toBe("raw");
    expect(message.perceivedObjects[0]).toMatchObject({ xDistance: -15, yDistance: 20, speed: 5 });
    expect(message.perceivedObjects[0]?.heading).toBeCloseTo(143.1301, 3);
  });

  it("transformed: metres and m/s", () => {
    const message = cpm(40.628042, -8.732658, object(-15, 20, 3, -4));
    expect(message.origin.units).toBe("transformed");
    expect(message.perceivedObjects[0]).toMatchObject({ xDistance: -15, yDistance: 20, speed: 5 });
    expect(message.perceivedObjects[0]?.heading).toBeCloseTo(143.1301, 3);
  });
});

describe("times", () => {
  it("TimestampIts: raw ms since 2004 (TAI), transformed s since 2004, or Unix s above 1e9", () => {
    expect(itsTimestampToUnixMs(0, "raw")).toBe(Date.UTC(2004, 0, 1) - 5000);
    expect(itsTimestampToUnixMs(1000, "transformed")).toBe(Date.UTC(2004, 0, 1) + 1_000_000 - 5000);
    expect(itsTimestampToUnixMs(1_700_000_000, "transformed")).toBe(1_700_000_000_000);
  });

  it("envelope timestamps in seconds or already in ms", () => {
    expect(envelopeTimestampToMs(1764316800.25)).toBe(1764316800250);
    expect(envelopeTimestampToMs(1764316800250)).toBe(1764316800250);
  });

  it("without a timestamp the receipt time is the time and the sequence", () => {
    const result = decode("vanetza/in/cam", JSON.stringify({ stationID: 1, camParameters: {} }), 1234);
    expect(result.ok && [result.message.timeMs, result.message.sequence]).toEqual([1234, 1234]);
    expect(decodeOk("vanetza/in/cam", { stationID: 1 }).timeMs).toBe(RECEIVED_AT_MS);
  });

  it("sequence grows with the station's message order", () => {
    const times = [1764316800.1, 1764316800.1001, 1764316800.2, 1764316801];
    const sequences = times.map((timestamp) => {
      const envelope = camEnvelope(TRANSFORMED) as { timestamp: number };
      envelope.timestamp = timestamp;
      return decodeOk("vanetza/out/cam", envelope).sequence;
    });
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(new Set(sequences).size).toBe(sequences.length);
  });
});
