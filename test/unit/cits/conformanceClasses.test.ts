/**
 * The five classes of real-traffic failures (issue: decode what deployed stations send), one
 * table per class, and the standards' points the decoder must also get right.
 */
import { describe, expect, it } from "vitest";
import { cpm, OBJECTS, objectOf, ok, REFERENCE, run, SENSORS } from "./realTraffic.ts";

describe("class 1: vanetza-nap's TS 103 324 CPM", () => {
  const cases: { name: string; containers: unknown[]; ids: number[]; unused: string[] }[] = [
    {
      name: "sensor array and objects",
      containers: [SENSORS, OBJECTS],
      ids: [1, 2],
      unused: ["sensorInformationContainer"],
    },
    {
      name: "an RSU: originating RSU and perception region containers",
      containers: [
        { containerId: 2, containerData: { mapReference: [] } },
        SENSORS,
        { containerId: 4, containerData: [{ measurementDeltaTime: 0 }] },
        OBJECTS,
      ],
      ids: [1, 2],
      unused: ["originatingRsuContainer", "sensorInformationContainer", "perceptionRegionContainer"],
    },
    {
      name: "the vehicle's orientation container first",
      containers: [
        { containerId: 1, containerData: { orientationAngle: { value: 90.5 } } },
        SENSORS,
        OBJECTS,
      ],
      ids: [1, 2],
      unused: ["sensorInformationContainer"],
    },
  ];
  for (const { name, containers, ids, unused } of cases) {
    it(name, () => {
      const { message, dropped } = ok("vanetza/out/cpm", cpm(containers));
      if (message.type !== "cpm") throw new Error("not a CPM");
      // numberOfPerceivedObjects says 1: the array is what counts.
      expect(message.perceivedObjects.map((object) => object.objectId)).toEqual(ids);
      expect(message.perceivedObjects.every((object) => object.position !== undefined)).toBe(true);
      expect(dropped.map((part) => part.code)).toEqual(unused.map(() => "unused"));
      for (const [index, container] of unused.entries()) expect(dropped[index]?.reason).toContain(container);
    });
  }
});

describe("class 2: ASN.1 JER (X.697)", () => {
  function jerCam(lowFrequency: object): object {
    return {
      header: { protocolVersion: 2, messageID: 2, stationID: 3907 },
      cam: {
        generationDeltaTime: "1",
        camParameters: {
          basicContainer: {
            stationType: 5,
            referencePosition: {
              latitude: 446542320,
              longitude: 109333114,
              altitude: { altitudeValue: 7796, altitudeConfidence: "unavailable" },
            },
          },
          highFrequencyContainer: {
            basicVehicleContainerHighFrequency: {
              heading: { headingValue: 2870, headingConfidence: 127 },
              speed: { speedValue: 440, speedConfidence: 127 },
              driveDirection: "unavailable",
              curvatureCalculationMode: "yawRateUsed",
              accelerationControl: "00",
            },
          },
          lowFrequencyContainer: {
            basicVehicleContainerLowFrequency: { vehicleRole: "default", ...lowFrequency },
          },
        },
      },
    };
  }
  const lights: [string, unknown, string[]][] = [
    ["no light on", "00", []],
    ["low beam and left turn signal (bits 0 and 2)", "A0", ["lowBeamHeadlightsOn", "leftTurnSignalOn"]],
    ["parking lights (bit 7), lower-case hex", "01", ["parkingLightsOn"]],
    [
      "a sized BIT STRING {value, length}",
      { value: "C0", length: 8 },
      ["lowBeamHeadlightsOn", "highBeamHeadlightsOn"],
    ],
  ];
  for (const [name, exteriorLights, on] of lights) {
    it(`BIT STRING as hex: ${name}`, () => {
      for (const topic of ["its_center/inqueue/json/3907/CAM", "obu/inqueue/json/3907/CAM", ""]) {
        const { message } = ok(topic, jerCam({ exteriorLights }));
        expect(message).toMatchObject({
          type: "cam",
          stationId: "3907",
          position: { lat: 44.654232, lon: 10.9333114 },
          speed: 4.4,
          heading: 287,
          exteriorLights: on,
        });
      }
    });
  }

  it("CHOICE as a single-key object: a DENM's ccAndScc and a CPM object's class", () => {
    const denm = ok("obu/inqueue/json/9/DENM", {
      header: { protocolVersion: 2, messageID: 1, stationID: 9 },
      denm: {
        management: { actionId: { originatingStationId: 9, sequenceNumber: 3 }, termination: "isNegation" },
        situation: { informationQuality: 7, eventType: { ccAndScc: { stationaryVehicle94: 2 } } },
      },
    }).message;
    expect(denm).toMatchObject({ eventType: { causeCode: 94, subCauseCode: 2 }, termination: "isNegation" });
  });
});

describe("class 3: vanetza/in bodies are in vanetza-nap units, whole numbers too", () => {
  const cases: [string, number, number][] = [
    ["whole degrees", 40, -8],
    ["written 40.0000000, parsed 40", 40.0, -8.0],
    ["fractional", 40.5, -8.25],
  ];
  for (const [name, latitude, longitude] of cases) {
    it(name, () => {
      const { message } = ok("vanetza/in/denm", {
        management: {
          actionId: { originatingStationId: 77, sequenceNumber: 1 },
          eventPosition: { latitude, longitude },
        },
        situation: { eventType: { ccAndScc: { roadworks3: 0 } } },
      });
      expect(message).toMatchObject({
        origin: { units: "transformed" },
        eventPosition: { lat: latitude, lon: longitude },
      });
    });
  }
});

describe("class 4: a DENM's station from management.actionId", () => {
  const cases: [string, object, string][] = [
    [
      "actionId, release 2 spelling",
      { actionId: { originatingStationId: 1798587532, sequenceNumber: 0 } },
      "1798587532",
    ],
    ["actionID, release 1 spelling", { actionID: { originatingStationID: 42, sequenceNumber: 1 } }, "42"],
  ];
  for (const [name, management, stationId] of cases) {
    it(name, () => {
      expect(ok("vanetza/in/denm", { management, situation: {} }).message.stationId).toBe(stationId);
    });
  }

  it("the envelope's station, when there is one, is the sender and wins", () => {
    const { message } = ok("vanetza/out/denm", {
      stationID: 175,
      fields: { denm: { management: { actionId: { originatingStationId: 5, sequenceNumber: 0 } } } },
    });
    expect(message).toMatchObject({ stationId: "175", actionId: "5:0" });
  });
});

describe("class 5: one bad part drops only that part", () => {
  const cases: { name: string; containers: unknown[]; ids: number[]; dropped: [string, string][] }[] = [
    {
      name: "a malformed perceived object",
      containers: [
        {
          containerId: 5,
          containerData: {
            perceivedObjects: [
              objectOf(1, 1, 1),
              { objectId: 2, position: { xCoordinate: "far" } },
              objectOf(2, 2, 3),
            ],
          },
        },
      ],
      ids: [1, 3],
      dropped: [["malformed", "perceivedObjects.1"]],
    },
    {
      name: "an object beyond the ETSI range",
      containers: [
        { containerId: 5, containerData: { perceivedObjects: [objectOf(5000.5, 1, 1), objectOf(2, 2, 2)] } },
      ],
      ids: [2],
      dropped: [["malformed", "perceivedObjects.0"]],
    },
    {
      name: "an unknown container id",
      containers: [{ containerId: 9, containerData: { extension: true } }, OBJECTS],
      ids: [1, 2],
      dropped: [["unknown", "cpmContainers.0.containerData"]],
    },
    {
      name: "a container that is not an object",
      containers: ["junk", OBJECTS],
      ids: [1, 2],
      dropped: [["malformed", "cpmContainers.0"]],
    },
  ];
  for (const { name, containers, ids, dropped } of cases) {
    it(name, () => {
      const result = ok("vanetza/out/cpm", cpm(containers));
      if (result.message.type !== "cpm") throw new Error("not a CPM");
      expect(result.message.perceivedObjects.map((object) => object.objectId)).toEqual(ids);
      expect(result.dropped.map((part) => [part.code, part.path])).toEqual(
        dropped.map(([code, tail]) => [code, expect.stringContaining(tail)]),
      );
      expect(result.dropped.every((part) => part.reason.length > 0)).toBe(true);
    });
  }

  it("a malformed low-frequency container: the CAM keeps its position", () => {
    const result = ok("vanetza/out/cam", {
      stationID: 7,
      fields: {
        cam: {
          camParameters: {
            basicContainer: { referencePosition: { latitude: 40.1, longitude: -8.2 } },
            lowFrequencyContainer: { basicVehicleContainerLowFrequency: { exteriorLights: 5 } },
          },
        },
      },
    });
    expect(result.message).toMatchObject({ position: { lat: 40.1, lon: -8.2 } });
    expect(result.dropped).toEqual([
      expect.objectContaining({ code: "malformed", path: expect.stringContaining("exteriorLights") }),
    ]);
  });

  it("a malformed situation: the DENM keeps its action and position", () => {
    const result = ok("vanetza/out/denm", {
      stationID: 7,
      fields: {
        denm: {
          management: { actionId: { originatingStationId: 7, sequenceNumber: 1 }, eventPosition: REFERENCE },
          situation: { eventType: { ccAndScc: { noDigits: "x" } } },
        },
      },
    });
    expect(result.message).toMatchObject({ actionId: "7:1", eventPosition: { lat: 40.63481 } });
    expect(result.dropped[0]).toMatchObject({
      code: "malformed",
      path: expect.stringContaining("situation"),
    });
  });

  it("nothing usable left: a CPM whose only content was malformed is rejected, with the reason", () => {
    const result = run(
      "vanetza/out/cpm",
      cpm([{ containerId: 5, containerData: { perceivedObjects: [{ objectId: "x" }] } }], {}),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejection.code).toBe("invalid-field");
    expect(result.rejection.reason).toContain("nothing usable remains");
    expect(result.rejection.reason).toContain("perceivedObjects.0");
  });

  it("nothing usable left: no station id anywhere rejects the message", () => {
    const result = run("vanetza/in/cam", {
      camParameters: { basicContainer: { referencePosition: REFERENCE } },
    });
    expect(result.ok ? "decoded" : result.rejection.code).toBe("missing-station-id");
  });

  it("a well-formed CAM carries no dropped list", () => {
    const result = run("vanetza/out/cam", {
      stationID: 7,
      fields: { cam: { camParameters: { basicContainer: { referencePosition: REFERENCE } } } },
    });
    expect(result.ok && result.dropped).toBeUndefined();
  });
});
