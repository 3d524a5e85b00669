import mqttPacket from "mqtt-packet";
import { describe, expect, it } from "vitest";
import { MAX_PACKET_BYTES, PacketSizeGate } from "../../../../cli/embedded/broker/packetSizeGate.ts";

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: "publish",
    topic: "vanetza/out/cam",
    payload: Buffer.alloc(payloadBytes, 65),
    qos: 0,
    retain: false,
    dup: false,
  });

/** The fixed header of a PUBLISH declaring `length` bytes: type byte and variable-length integer. */
function publishHeader(length: number): Buffer {
  const bytes = [0x30];
  let left = length;
  do {
    let byte = left % 128;
    left = Math.floor(left / 128);
    if (left > 0) byte |= 0x80;
    bytes.push(byte);
  } while (left > 0);
  return Buffer.from(bytes);
}

describe("the broker's packet size gate", () => {
  it("lets a stream of packets up to the limit through, however the bytes are cut", () => {
    const stream = Buffer.concat([
      mqttPacket.generate({ cmd: "pingreq" }),
      publish(10),
      publish(MAX_PACKET_BYTES - 100),
      publish(1_000),
      publish(0),
    ]);
    for (const cut of [3, 7, 1_000, stream.length]) {
      const gate = new PacketSizeGate();
      const refused: string[] = [];
      for (let at = 0; at < stream.length; at += cut) {
        const verdict = gate.feed(stream.subarray(at, at + cut));
        if (!verdict.ok) refused.push(verdict.reason);
      }
      expect(refused).toEqual([]);
    }
  });

  it("refuses a packet that declares 200 MB as soon as its length is read", () => {
    const gate = new PacketSizeGate();
    expect(gate.feed(publish(10))).toEqual({ ok: true });
    const header = publishHeader(200_000_000);
    expect(gate.feed(header.subarray(0, 4))).toEqual({ ok: true });
    const verdict = gate.feed(header.subarray(4));
    expect(verdict).toEqual({
      ok: false,
      reason: `a packet declares 200000000 bytes, over the broker's limit of ${MAX_PACKET_BYTES}`,
    });
    // Whatever comes after is refused as well.
    expect(gate.feed(Buffer.alloc(10))).toEqual(verdict);
  });

  it("refuses one byte over the limit and takes the limit itself", () => {
    expect(new PacketSizeGate(1_000).feed(publishHeader(1_000))).toEqual({ ok: true });
    expect(new PacketSizeGate(1_000).feed(publishHeader(1_001)).ok).toBe(false);
  });

  it("refuses a length field longer than four bytes", () => {
    const gate = new PacketSizeGate(Number.MAX_SAFE_INTEGER);
    expect(gate.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80]))).toEqual({
      ok: false,
      reason: "a packet's length field is malformed",
    });
  });
});
