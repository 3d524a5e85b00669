import { describe, expect, it } from "vitest";
import { classify, type InboundMessage } from "../../../bridges/mqtt/classify.ts";
import { eventId } from "../../../bridges/mqtt/event.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import { MAX_PAYLOAD_BYTES } from "../../../functions/lib/cits/types.ts";
import { migrationRequestCloudEvent, structuredCloudEvent, vanetzaCam } from "./samples.ts";

const inbound = (
  topic: string,
  payload: string | Buffer,
  extra: Partial<InboundMessage> = {},
): InboundMessage => ({
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  receivedAtMs: 1_700_000_500_000,
  ...extra,
});

describe("classify", () => {
  it("forwards a decodable C-ITS message with its station and position", () => {
    const outcome = classify(inbound("vanetza/out/cam", vanetzaCam(12, 1, 40.1, -8.2)), "mec-a", decode);
    expect(outcome.kind).toBe("forward");
    if (outcome.kind !== "forward") return;
    expect(outcome.stationId).toBe("12");
    expect(outcome.position).toEqual({ lat: 40.1, lon: -8.2 });
    expect(outcome.messageType).toBe("cam");
    expect(outcome.event.type).toBe("io.vvcu.cits.cam.received");
  });

  it("decodes a message shared by several bridges once, and builds each bridge its own event", () => {
    let decodes = 0;
    const counting: typeof decode = (topic, payload, receivedAtMs) => {
      decodes++;
      return decode(topic, payload, receivedAtMs);
    };
    const message = inbound("vanetza/out/cam", vanetzaCam(12, 1, 40.1, -8.2));
    const atA = classify(message, "mec-a", counting);
    const atB = classify(message, "mec-b", counting);
    expect(decodes).toBe(1);
    if (atA.kind !== "forward" || atB.kind !== "forward") throw new Error("expected both forwarded");
    expect(atA.event.source).not.toBe(atB.event.source);
    expect(atA.event.id).toBe(atB.event.id);
    expect(atB.stationId).toBe("12");
    // The event is built once, when first read, and is the same object after.
    expect(atA.event).toBe(atA.event);
  });

  it("rejects what the decoder rejects, with its code", () => {
    const outcome = classify(inbound("vanetza/out/cam", "{not json"), "mec-a", decode);
    expect(outcome).toMatchObject({ kind: "reject", code: "not-json" });
  });

  it("rejects payloads over the limit unread", () => {
    let called = false;
    const outcome = classify(
      inbound("vanetza/out/cam", Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 32)),
      "mec-a",
      (t, p) => {
        called = true;
        return decode(t, p);
      },
    );
    expect(outcome).toMatchObject({ kind: "reject", code: "too-large" });
    expect(called).toBe(false);
  });

  it("forwards a structured CloudEvent of C-ITS input as it is, for the station of its data", () => {
    const outcome = classify(
      inbound("obu/inqueue/json/rsu-42/LOGS/access", JSON.stringify(structuredCloudEvent)),
      "mec-a",
      decode,
    );
    expect(outcome.kind).toBe("forward");
    if (outcome.kind !== "forward") return;
    expect(outcome.event.id).toBe("ext-1");
    expect(outcome.event.type).toBe("io.vvcu.cits.logs.received");
    expect(outcome.event.source).toBe("/partner/gateway");
    expect(outcome.event.partnerext).toBe("kept");
    expect(outcome.event.data).toEqual(structuredCloudEvent.data);
    expect(outcome.stationId).toBe("rsu-42");
    expect(outcome.messageType).toBe("logs");
  });

  it("forwards an MQTT 5 binary-mode CloudEvent of C-ITS input from user properties", () => {
    const { data, datacontenttype: _, ...attributes } = structuredCloudEvent;
    const outcome = classify(
      inbound("vanetza/out/cam", JSON.stringify(data), {
        userProperties: { ...attributes, id: "b-1", vvcumsgtype: "invented" },
        contentType: "application/json",
      }),
      "mec-a",
      decode,
    );
    expect(outcome.kind).toBe("forward");
    if (outcome.kind !== "forward") return;
    expect(outcome.event.id).toBe("b-1");
    expect(outcome.event.datacontenttype).toBe("application/json");
    expect(outcome.event.data).toEqual(data);
    expect(outcome.stationId).toBe("rsu-42");
    // The metrics label comes from the type, never from what a station declares.
    expect(outcome.messageType).toBe("logs");
  });

  it.each([
    ["a control event", migrationRequestCloudEvent("1001", "mec-a", "mec-b")],
    ["a twin event", { ...structuredCloudEvent, type: "io.vvcu.twin.updated" }],
    ["a foreign type", { ...structuredCloudEvent, type: "org.example.roadworks" }],
  ])("refuses %s from a station's topic, saying which types may come", (_what, event) => {
    const outcome = classify(inbound("vanetza/out/cam", JSON.stringify(event)), "mec-a", decode);
    expect(outcome).toMatchObject({ kind: "reject", code: "refused-event-type" });
    if (outcome.kind !== "reject") return;
    expect(outcome.reason).toContain(`"${event.type}" may not come from a station's topic`);
    expect(outcome.reason).toContain("io.vvcu.cits.cam.received");
  });

  it("refuses a binary-mode control event", () => {
    const { data, ...attributes } = migrationRequestCloudEvent("1001", "mec-a", "mec-b");
    const outcome = classify(
      inbound("vanetza/out/cam", JSON.stringify(data), {
        userProperties: attributes,
        contentType: "application/json",
      }),
      "mec-a",
      decode,
    );
    expect(outcome).toMatchObject({ kind: "reject", code: "refused-event-type" });
  });

  it("rejects C-ITS input whose data does not fit the catalog, or whose subject is another station", () => {
    const badData = { ...structuredCloudEvent, data: { ...structuredCloudEvent.data, kind: "gossip" } };
    const outcome = classify(inbound("vanetza/out/cam", JSON.stringify(badData)), "mec-a", decode);
    expect(outcome).toMatchObject({ kind: "reject", code: "invalid-cloudevent" });
    if (outcome.kind === "reject") expect(outcome.reason).toContain("does not fit the event catalog");

    const otherSubject = { ...structuredCloudEvent, subject: "1001" };
    const spoofed = classify(inbound("vanetza/out/cam", JSON.stringify(otherSubject)), "mec-a", decode);
    expect(spoofed).toMatchObject({ kind: "reject", code: "invalid-cloudevent" });
    if (spoofed.kind === "reject") expect(spoofed.reason).toContain('subject "1001" is not the station');
  });

  it("rejects a message that claims to be a CloudEvent and is not one", () => {
    const broken = { specversion: "1.0", id: "x" }; // no type, no source
    const outcome = classify(inbound("vanetza/out/cam", JSON.stringify(broken)), "mec-a", decode);
    expect(outcome).toMatchObject({ kind: "reject", code: "invalid-cloudevent" });
  });

  it("gives a redelivered message the same event id", () => {
    const payload = vanetzaCam(3, 9);
    const first = classify(inbound("vanetza/out/cam", payload), "mec-a", decode);
    const again = classify(
      { ...inbound("vanetza/out/cam", payload), receivedAtMs: 1_700_000_600_000 },
      "mec-a",
      decode,
    );
    if (first.kind !== "forward" || again.kind !== "forward") throw new Error("expected forwards");
    expect(again.event.id).toBe(first.event.id);
    expect(first.event.id).toBe(eventId("vanetza/out/cam", Buffer.from(payload)));
  });
});
