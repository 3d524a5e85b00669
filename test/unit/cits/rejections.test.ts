import { describe, expect, it } from "vitest";
import { decode } from "../../../functions/lib/cits/decode.ts";
import { MAX_PAYLOAD_BYTES, type Rejection } from "../../../functions/lib/cits/types.ts";
import { fixtureJson, fixtureText, RECEIVED_AT_MS } from "./fixtures.ts";

function rejection(topic: string, payload: string | Buffer | object): Rejection {
  const text = typeof payload === "string" || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  const result = decode(topic, text, RECEIVED_AT_MS);
  if (result.ok) throw new Error(`expected a rejection, got a ${result.message.type}`);
  return result.rejection;
}

// biome-ignore lint/suspicious/noExplicitAny: tests reach deep into a fixture to break one field
type Loose = Record<string, any>;

/** The vanetza-nap CAM fixture with one value replaced, as a JSON object. */
function camWith(mutate: (cam: Loose) => void): object {
  const envelope = fixtureJson("vanetza-out-cam.json") as Loose;
  mutate(envelope);
  return envelope;
}

describe("bad input gets a typed rejection with a reason", () => {
  it("too-large: over MAX_PAYLOAD_BYTES, not read", () => {
    const big = `{"pad":"${"x".repeat(MAX_PAYLOAD_BYTES)}"}`;
    for (const payload of [big, Buffer.from(big)]) {
      const r = rejection("vanetza/out/cam", payload);
      expect(r.code).toBe("too-large");
      expect(r.reason).toContain(String(MAX_PAYLOAD_BYTES));
      expect(r.topic).toBe("vanetza/out/cam");
    }
  });

  it("too-large counts UTF-8 bytes, not characters", () => {
    const payload = `{"pad":"${"é".repeat(MAX_PAYLOAD_BYTES / 2)}"}`;
    expect(payload.length).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(rejection("vanetza/out/cam", payload).code).toBe("too-large");
  });

  it("not-json", () => {
    const r = rejection("vanetza/out/cam", '{"fields": {');
    expect(r.code).toBe("not-json");
    expect(r.reason).toMatch(/^payload is not JSON: /);
    expect(rejection("vanetza/out/cam", Buffer.from([0xff, 0xfe, 0x00])).code).toBe("not-json");
  });

  it.each([
    ["[1, 2]", "an array"],
    ["null", "null"],
    ["42", "a number"],
    ['"cam"', "a string"],
  ])("not-an-object: %s", (payload, kind) => {
    const r = rejection("vanetza/out/cam", payload);
    expect(r.code).toBe("not-an-object");
    expect(r.reason).toBe(`payload is ${kind}; a C-ITS message is a JSON object`);
  });

  it.each([
    "vanetza/cam",
    "vanetza/out/cam/extra",
    "some/other/topic",
    "its_center/inqueue/json/33/CAM/0/4",
    "obu/inqueue/json/3306/CAM/extra",
  ])("unknown-topic: %s", (topic) => {
    const r = rejection(topic, fixtureText("vanetza-out-cam.json"));
    expect(r.code).toBe("unknown-topic");
    expect(r.reason).toContain(topic);
  });

  it.each([
    "vanetza/out/spatem",
    "its_center/inqueue/json/33/MAPEM/0/1",
    "obu/inqueue/json/3306/IVIM",
    "obu/inqueue/json/3306/LOGS/debug",
  ])("unknown-message-type from the topic: %s", (topic) => {
    expect(rejection(topic, "{}").code).toBe("unknown-message-type");
  });

  it("unknown-message-type: the topic and the payload disagree", () => {
    const r = rejection("vanetza/out/cam", fixtureText("vanetza-out-denm.json"));
    expect(r).toEqual({
      code: "unknown-message-type",
      reason: "the topic names cam but the payload carries denm",
      topic: "vanetza/out/cam",
    });
  });

  it("unknown-message-type: a nested payload of another type than the topic's", () => {
    const r = rejection("obu/inqueue/json/3306/CAM", fixtureText("obu-cpm-nested.json"));
    expect(r.code).toBe("unknown-message-type");
    expect(r.reason).toBe("the topic names cam but the payload carries CPM");
  });

  it("unknown-message-type: no topic and nothing in the payload tells", () => {
    const r = rejection("", { stationID: 5, something: { else: 1 } });
    expect(r.code).toBe("unknown-message-type");
    expect(r.reason).toMatch(/cannot tell the message type/);
  });

  it("missing-station-id", () => {
    const envelope = camWith((e) => {
      delete e.stationID;
      delete e.fields.header.stationId;
    });
    const r = rejection("vanetza/out/cam", envelope);
    expect(r.code).toBe("missing-station-id");
    expect(r.reason).toMatch(/no station id/);
    expect(rejection("obu/inqueue/json//CAM", "{}").code).toBe("missing-station-id");
  });

  it("invalid-field: a wrong type, named by its path (zod issue)", () => {
    const r = rejection(
      "vanetza/out/cam",
      camWith((e) => {
        e.fields.cam.camParameters.basicContainer.referencePosition.latitude = "40.6";
      }),
    );
    expect(r.code).toBe("invalid-field");
    expect(r.reason).toContain("expected number, received string");
    expect(r.reason).toContain("fields.cam.camParameters.basicContainer.referencePosition.latitude");
  });

  it("invalid-field: a container that is not an object", () => {
    const r = rejection(
      "vanetza/out/cam",
      camWith((e) => {
        e.fields.cam.camParameters.highFrequencyContainer = [1, 2];
      }),
    );
    expect(r.code).toBe("invalid-field");
    expect(r.reason).toContain("fields.cam.camParameters.highFrequencyContainer");
  });

  it("invalid-field: a station id that is not one", () => {
    const r = rejection(
      "vanetza/out/cam",
      camWith((e) => {
        e.stationID = -3;
      }),
    );
    expect(r.code).toBe("invalid-field");
    expect(r.reason).toContain("stationID");
  });

  it("invalid-field: a DENM without its actionId", () => {
    const denm = fixtureJson("vanetza-out-denm.json") as {
      fields: { denm: { management: Record<string, unknown> } };
    };
    delete denm.fields.denm.management.actionId;
    const r = rejection("vanetza/out/denm", denm);
    expect(r.code).toBe("invalid-field");
    expect(r.reason).toContain("fields.denm.management.actionId");
  });

  it("out-of-range: a raw latitude beyond 90 degrees, named", () => {
    const r = rejection(
      "vanetza/out/cam",
      camWith((e) => {
        e.fields.cam.camParameters.basicContainer.referencePosition.latitude = 950000000;
        e.fields.cam.camParameters.basicContainer.referencePosition.longitude = -86537891;
      }),
    );
    expect(r.code).toBe("out-of-range");
    expect(r.reason).toBe(
      "latitude 95 degrees is out of range [-90, 90] at fields.cam.camParameters.basicContainer.referencePosition.latitude (read as raw units, raw value 950000000)",
    );
  });

  it("out-of-range: a transformed speed above the ETSI maximum and a negative one", () => {
    for (const speed of [200.5, -1.5]) {
      const r = rejection(
        "vanetza/out/cam",
        camWith((e) => {
          e.fields.cam.camParameters.highFrequencyContainer.basicVehicleContainerHighFrequency.speed.speedValue =
            speed;
        }),
      );
      expect(r.code).toBe("out-of-range");
      expect(r.reason).toMatch(
        /^speed .* m\/s is out of range \[0, 163.82\] at fields\.cam.*speed \(read as transformed units\)$/,
      );
    }
  });

  it("out-of-range: a raw heading beyond 360 degrees", () => {
    const r = rejection("vanetza/in/cam", {
      stationID: 4,
      camParameters: {
        basicContainer: { referencePosition: { latitude: 406405123, longitude: -86537891 } },
        highFrequencyContainer: { basicVehicleContainerHighFrequency: { heading: { headingValue: 3700 } } },
      },
    });
    expect(r.code).toBe("out-of-range");
    expect(r.reason).toMatch(/^heading 370 degrees is out of range \[0, 360\]/);
  });

  it("out-of-range: a DENM validity beyond a day", () => {
    const denm = fixtureJson("vanetza-out-denm.json") as {
      fields: { denm: { management: Record<string, unknown> } };
    };
    denm.fields.denm.management.validityDuration = 90000;
    expect(rejection("vanetza/out/denm", denm).code).toBe("out-of-range");
  });

  it("out-of-range: a DENM detection time that is no time", () => {
    const denm = fixtureJson("vanetza-out-denm.json") as {
      fields: { denm: { management: Record<string, unknown> } };
    };
    denm.fields.denm.management.detectionTime = 1e308;
    const r = rejection("vanetza/out/denm", denm);
    expect(r.code).toBe("out-of-range");
    expect(r.reason).toContain("detectionTime");
  });
});
