import { describe, expect, it } from "vitest";
import { deadLetter } from "../../../bridges/mqtt/deadLetter.ts";

const base = {
  code: "not-json" as const,
  reason: "payload is not JSON",
  topic: "vanetza/out/cam",
  receivedAtMs: 1_700_000_000_000,
  mec: "mec-a",
};

describe("deadLetter", () => {
  it("keeps a UTF-8 payload as text with the reason, code, topic and time", () => {
    const record = deadLetter({ ...base, payload: Buffer.from("{oops") });
    expect(record).toEqual({
      reason: "payload is not JSON",
      code: "not-json",
      topic: "vanetza/out/cam",
      payload: "{oops",
      payloadEncoding: "utf8",
      payloadBytes: 5,
      truncated: false,
      receivedAt: "2023-11-14T22:13:20.000Z",
      mec: "mec-a",
    });
  });

  it("encodes a binary payload as base64", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    const record = deadLetter({ ...base, payload: bytes });
    expect(record.payloadEncoding).toBe("base64");
    expect(Buffer.from(record.payload, "base64")).toEqual(bytes);
  });

  it("caps a large payload without splitting a character", () => {
    const text = `${"a".repeat(9)}é${"b".repeat(100)}`; // é is two bytes, straddling byte 10
    const record = deadLetter({ ...base, payload: Buffer.from(text) }, 10);
    expect(record.truncated).toBe(true);
    expect(record.payload).toBe("a".repeat(9));
    expect(record.payloadBytes).toBe(Buffer.byteLength(text));
  });

  it("carries the sink's answer for a sink rejection", () => {
    const record = deadLetter({
      ...base,
      code: "sink-rejected",
      payload: Buffer.from("{}"),
      sink: { status: 400, body: "bad" },
    });
    expect(record.sink).toEqual({ status: 400, body: "bad" });
  });
});
