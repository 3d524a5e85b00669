/**
 * What the decoder must also get right per the standards (CPM reference frame and geodesy, header
 * spellings, unavailable values in both unit systems), and what --explain lists.
 */
import { describe, expect, it } from "vitest";
import { decode } from "../../../functions/lib/cits/decode.ts";
import { vincentyDirect } from "../../../scripts/derive-conformance-expected.ts";
import { RECEIVED_AT_MS } from "./fixtures.ts";
import { cpm, OBJECTS, objectOf, ok, REFERENCE } from "./realTraffic.ts";

describe("also per the standards", () => {
  it("CPM offsets are x east, y north of the reference, not turned by the station's heading", () => {
    const { message } = ok(
      "vanetza/out/cpm",
      cpm([{ containerId: 1, containerData: { orientationAngle: { value: 90.5 } } }, OBJECTS]),
    );
    if (message.type !== "cpm") throw new Error("not a CPM");
    const [east, north] = message.perceivedObjects;
    expect(east?.position?.lat).toBeCloseTo(REFERENCE.latitude, 9);
    expect(east?.position?.lon).toBeGreaterThan(REFERENCE.longitude);
    expect(north?.position?.lon).toBeCloseTo(REFERENCE.longitude, 9);
    expect(north?.position?.lat).toBeGreaterThan(REFERENCE.latitude);
  });

  it("an object 1.7 km away lands within a quarter metre of the WGS84 geodesic", () => {
    const { message } = ok(
      "vanetza/out/cpm",
      cpm([{ containerId: 5, containerData: { perceivedObjects: [objectOf(1216.28, 1216.28, 1)] } }]),
    );
    if (message.type !== "cpm") throw new Error("not a CPM");
    const position = message.perceivedObjects[0]?.position;
    const exact = vincentyDirect(REFERENCE.latitude, REFERENCE.longitude, 45, Math.hypot(1216.28, 1216.28));
    expect(Math.abs((position?.lat ?? 0) - exact.lat) * 111_035).toBeLessThan(0.25);
    expect(Math.abs((position?.lon ?? 0) - exact.lon) * 84_530).toBeLessThan(0.25);
  });

  const headers: [string, object][] = [
    ["VAM header messageID/stationID", { protocolVersion: 1, messageID: 16, stationID: 158 }],
    ["older CAM header messageID/stationID", { protocolVersion: 1, messageID: 2, stationID: 158 }],
  ];
  for (const [name, header] of headers) {
    it(name, () => {
      const type = (header as { messageID: number }).messageID === 16 ? "vam" : "cam";
      const parameters = type === "vam" ? "vamParameters" : "camParameters";
      const { message } = ok("", {
        fields: { header, [type]: { [parameters]: { basicContainer: { referencePosition: REFERENCE } } } },
      });
      expect(message).toMatchObject({ type, stationId: "158", position: { lat: REFERENCE.latitude } });
    });
  }

  const unavailable: [string, string, object][] = [
    ["raw", "obu/inqueue/json/1/CAM", { headingValue: 3601 }],
    ["vanetza-nap passes the raw sentinel through", "vanetza/out/cam", { headingValue: 3601.0 }],
    ["an older transformer's scaled sentinel", "vanetza/out/cam", { headingValue: 360.1 }],
  ];
  for (const [name, topic, heading] of unavailable) {
    it(`unavailable heading, ${name}`, () => {
      const { message } = ok(topic, {
        stationID: 1,
        fields: {
          cam: {
            camParameters: {
              basicContainer: { referencePosition: { latitude: 900000001, longitude: 1800000001 } },
              highFrequencyContainer: {
                basicVehicleContainerHighFrequency: { heading, speed: { speedValue: 16383 } },
              },
            },
          },
        },
      });
      expect(message).not.toHaveProperty("heading");
      expect(message).not.toHaveProperty("speed");
      expect(message).not.toHaveProperty("position");
    });
  }
});

describe("explain: what a station sends that vvcu does not use", () => {
  const camWithExtras = {
    stationID: 7,
    fields: {
      cam: {
        generationDeltaTime: 1,
        camParameters: {
          basicContainer: { referencePosition: REFERENCE },
          lowFrequencyContainer: { basicVehicleContainerLowFrequency: { vehicleRole: 0, pathHistory: [] } },
          specialVehicleContainer: { safetyCarContainer: {} },
        },
      },
    },
  };

  it("is listed only when asked for: decoding stays as cheap as before", () => {
    const plain = decode("vanetza/out/cam", JSON.stringify(camWithExtras), RECEIVED_AT_MS);
    expect(plain.ok && plain.dropped).toBeUndefined();
  });

  it("names the unused containers and fields, with their paths", () => {
    const explained = decode("vanetza/out/cam", JSON.stringify(camWithExtras), RECEIVED_AT_MS, {
      explain: true,
    });
    if (!explained.ok) throw new Error("rejected");
    expect(explained.dropped?.map((part) => [part.code, part.path])).toEqual([
      ["unused", "fields.cam.camParameters.specialVehicleContainer"],
      [
        "unused",
        "fields.cam.camParameters.lowFrequencyContainer.basicVehicleContainerLowFrequency.pathHistory",
      ],
      [
        "unused",
        "fields.cam.camParameters.lowFrequencyContainer.basicVehicleContainerLowFrequency.vehicleRole",
      ],
    ]);
  });
});
