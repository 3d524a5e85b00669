import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { citsCloudEvent, eventId, positionOf, traceparentFor } from "../../../bridges/mqtt/event.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import { itsCenterCam, vanetzaCam } from "./samples.ts";

function decoded(topic: string, payload: string): CitsMessage {
  const result = decode(topic, Buffer.from(payload), 1_700_000_123_000);
  if (!result.ok) throw new Error(result.rejection.reason);
  return result.message;
}

describe("eventId", () => {
  it("is the same for the same topic and bytes, and differs when either changes", () => {
    const payload = Buffer.from(vanetzaCam(1, 1));
    expect(eventId("vanetza/out/cam", payload)).toBe(
      eventId("vanetza/out/cam", Buffer.from(vanetzaCam(1, 1))),
    );
    expect(eventId("vanetza/out/cam", payload)).toMatch(/^[0-9a-f]{40}$/);
    expect(eventId("vanetza/out/cpm", payload)).not.toBe(eventId("vanetza/out/cam", payload));
    expect(eventId("vanetza/out/cam", Buffer.from(vanetzaCam(1, 2)))).not.toBe(
      eventId("vanetza/out/cam", payload),
    );
  });

  it("is the SHA-1 of topic, a NUL and the payload (ids stay stable across versions)", () => {
    const payload = Buffer.from(vanetzaCam(7, 3));
    const reference = createHash("sha1").update("vanetza/out/cam\0").update(payload).digest("hex");
    expect(eventId("vanetza/out/cam", payload)).toBe(reference);
    expect(eventId("a", Buffer.from("bc"))).toBe(createHash("sha1").update("a\0bc").digest("hex"));
  });

  it("separates topic from payload", () => {
    expect(eventId("a", Buffer.from("bc"))).not.toBe(eventId("ab", Buffer.from("c")));
  });
});

describe("traceparentFor", () => {
  it("is a valid W3C traceparent derived from the id", () => {
    const id = eventId("t", Buffer.from("p"));
    const traceparent = traceparentFor(id);
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceparentFor(id)).toBe(traceparent);
    expect(traceparentFor(`${id}x`).slice(3, 35)).not.toBe(traceparent.slice(3, 35));
  });

  it("takes the digits of the bridge's own ids (a SHA-1 already) and hashes any other id", () => {
    const id = eventId("vanetza/out/cam", new TextEncoder().encode("{}"));
    expect(traceparentFor(id)).toBe(`00-${id.slice(0, 32)}-${id.slice(24, 40)}-01`);
    expect(traceparentFor("0".repeat(40))).toBe(`00-${"0".repeat(31)}1-${"0".repeat(15)}1-01`);
    const other = traceparentFor("not-a-digest");
    expect(other).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(other).not.toContain("not-a-digest");
  });
});

describe("citsCloudEvent", () => {
  it("maps a vanetza-nap CAM to the catalog event with subject, time and extensions", () => {
    const payload = vanetzaCam(1001, 5);
    const message = decoded("vanetza/out/cam", payload);
    const event = citsCloudEvent(message, {
      mec: "mec-a",
      topic: "vanetza/out/cam",
      payload: Buffer.from(payload),
    });
    expect(event.validate()).toBe(true);
    expect(event.type).toBe("io.vvcu.cits.cam.received");
    expect(event.source).toBe("/vvcu/mec-a/bridge");
    expect(event.subject).toBe("1001");
    expect(event.id).toBe(eventId("vanetza/out/cam", Buffer.from(payload)));
    expect(event.time).toBe(new Date(1_700_000_000_005).toISOString());
    expect(event.datacontenttype).toBe("application/json");
    expect(event.vvcumsgtype).toBe("cam");
    expect(event.vvcumec).toBe("mec-a");
    expect(event.vvcuquadkey).toBeUndefined();
    expect(event.traceparent).toBe(traceparentFor(event.id));
    expect(event.data).toEqual(message);
  });

  it("carries the ITS-centre quadkey from the topic", () => {
    const topic = "its_center/inqueue/json/7/CAM/1/2/0/3";
    const payload = itsCenterCam(7);
    const event = citsCloudEvent(decoded(topic, payload), {
      mec: "mec-b",
      topic,
      payload: Buffer.from(payload),
    });
    expect(event.validate()).toBe(true);
    expect(event.vvcuquadkey).toBe("1203");
    expect(event.subject).toBe("7");
    expect(event.time).toBe(new Date(1_700_000_123_000).toISOString());
  });
});

describe("positionOf", () => {
  it("takes the station position of a CAM and nothing from logs", () => {
    expect(positionOf(decoded("vanetza/out/cam", vanetzaCam(1, 1, 40.5, -8.5)))).toEqual({
      lat: 40.5,
      lon: -8.5,
    });
    expect(positionOf(decoded("obu/inqueue/json/9/LOGS/access", '{"rssi": -70}'))).toBeUndefined();
  });
});
