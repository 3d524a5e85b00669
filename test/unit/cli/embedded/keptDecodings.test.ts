import { describe, expect, it } from "vitest";
import { eventId } from "../../../../bridges/mqtt/event.ts";
import { KeptDecodings, MAX_KEPT } from "../../../../cli/embedded/decoder/keptDecodings.ts";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import type { DecodeResult } from "../../../../functions/lib/cits/types.ts";
import { camOf } from "./decoderFixtures.ts";

const CAM = "vanetza/out/cam";

/** The real decoder, counting its calls. */
function countingDecode() {
  const calls: string[] = [];
  const counted = (topic: string, payload: Buffer, receivedAtMs: number): DecodeResult => {
    calls.push(payload.toString());
    return decode(topic, payload, receivedAtMs);
  };
  return { calls, counted };
}

describe("decodings kept for the other readers of a message", () => {
  it("decodes a message once for two readers and gives both the same answer", () => {
    const { calls, counted } = countingDecode();
    const kept = new KeptDecodings(counted);
    const payload = camOf(4242);
    const first = kept.answer(CAM, payload, 1_000, 2);
    const second = kept.answer(CAM, Buffer.from(payload), 1_005, 2);
    expect(calls).toHaveLength(1);
    expect(second).toBe(first);
    expect(first.eventId).toBe(eventId(CAM, payload));
    expect(first.decoded?.ok && first.decoded.message.stationId).toBe("4242");
    expect(kept.size).toBe(0); // every reader had its copy: nothing left behind
  });

  it("keeps an answer until every reader of three has taken it", () => {
    const { calls, counted } = countingDecode();
    const kept = new KeptDecodings(counted);
    const payload = camOf(7);
    kept.answer(CAM, payload, 1, 3);
    kept.answer(CAM, payload, 2, 3);
    expect(kept.size).toBe(1);
    kept.answer(CAM, payload, 3, 3);
    expect(kept.size).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it("keeps nothing for a single reader", () => {
    const { calls, counted } = countingDecode();
    const kept = new KeptDecodings(counted);
    kept.answer(CAM, camOf(1), 1, 1);
    kept.answer(CAM, camOf(1), 2, 1);
    expect(calls).toHaveLength(2);
    expect(kept.size).toBe(0);
  });

  it("keeps bad input's answer too, without an event id", () => {
    const { calls, counted } = countingDecode();
    const kept = new KeptDecodings(counted);
    const broken = Buffer.from("{not json");
    const first = kept.answer(CAM, broken, 1, 2);
    expect(kept.answer(CAM, broken, 2, 2)).toBe(first);
    expect(first.decoded?.ok).toBe(false);
    expect(first.eventId).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it("is bounded: past MAX_KEPT the oldest answer goes, and its late copy is decoded again", () => {
    const { calls, counted } = countingDecode();
    const kept = new KeptDecodings(counted);
    for (let station = 0; station <= MAX_KEPT; station++) kept.answer(CAM, camOf(station), station, 2);
    expect(kept.size).toBe(MAX_KEPT);
    const late = kept.answer(CAM, camOf(0), 0, 2);
    expect(calls).toHaveLength(MAX_KEPT + 2);
    expect(late.decoded?.ok && late.decoded.message.stationId).toBe("0");
    kept.answer(CAM, camOf(MAX_KEPT), 1, 2); // the newest is still there
    expect(calls).toHaveLength(MAX_KEPT + 2);
  });
});
