import { describe, expect, it } from "vitest";
import { eventId } from "../../../../bridges/mqtt/event.ts";
import type { Awaiting } from "../../../../cli/embedded/decoder/decoderThread.ts";
import { decode } from "../../../../functions/lib/cits/decode.ts";
import { CAM, until, withDecoderThread } from "./decoderFixtures.ts";

const awaiting = (topic: string, payload: Buffer): Awaiting => ({
  message: { topic, payload, receivedAtMs: 1_795_000_000_000 },
  decodedAhead: false,
});

describe("the decoder thread", () => {
  const fixture = withDecoderThread();

  it("answers what the bridge would work out itself: the decoding and the event id", async () => {
    let calls = 0;
    fixture.thread.onDecoded(() => calls++);
    const cam = awaiting("vanetza/out/cam", CAM);
    const broken = awaiting("vanetza/out/cam", Buffer.from("{not json"));
    const structured = awaiting(
      "vanetza/out/cam",
      Buffer.from(JSON.stringify({ specversion: "1.0", id: "e-1", source: "/x", type: "t", data: {} })),
    );
    for (const item of [cam, broken, structured]) fixture.thread.submit(item);
    expect(cam.decodedAhead).toBe(false);
    await until(() => calls > 0);

    expect(cam.decodedAhead).toBe(true);
    expect(cam.message.decoded).toEqual(decode("vanetza/out/cam", CAM, cam.message.receivedAtMs));
    expect(cam.message.eventId).toBe(eventId("vanetza/out/cam", CAM));
    expect(broken.message.decoded?.ok).toBe(false);
    expect(broken.message.decoded?.ok === false && broken.message.decoded.rejection.code).toBe("not-json");
    expect(broken.message.eventId).toBeUndefined();
    // A structured-mode CloudEvent is the bridge's to recognise: no answer, so classify.ts looks at it.
    expect(structured.decodedAhead).toBe(true);
    expect(structured.message.decoded).toBeUndefined();
  });

  it("keeps each payload apart when many share one batch", async () => {
    let calls = 0;
    fixture.thread.onDecoded(() => calls++);
    const items = Array.from({ length: 200 }, (_, index) => {
      const payload = Buffer.from(
        CAM.toString().replace(/"stationID":\s*\d+/, `"stationID": ${1000 + index}`),
      );
      return awaiting("vanetza/out/cam", payload);
    });
    for (const item of items) fixture.thread.submit(item);
    await until(() => items.every((item) => item.decodedAhead));
    expect(calls).toBeGreaterThan(0);
    expect(items.map((item) => item.message.decoded?.ok && item.message.decoded.message.stationId)).toEqual(
      items.map((_, index) => String(1000 + index)),
    );
    expect(new Set(items.map((item) => item.message.eventId)).size).toBe(200);
  });

  it("gives up on what it held when the thread dies, and passes everything on undecoded after", async () => {
    let calls = 0;
    fixture.thread.onDecoded(() => calls++);
    // Killing the worker underneath, as a crash would: the private field is the only way in.
    const worker = (fixture.thread as unknown as { worker: { terminate(): Promise<number> } }).worker;
    const held = awaiting("vanetza/out/cam", CAM);
    fixture.thread.submit(held);
    await worker.terminate();
    await until(() => held.decodedAhead);
    expect(held.message.decoded).toBeUndefined();
    const later = awaiting("vanetza/out/cam", CAM);
    fixture.thread.submit(later);
    expect(later.decodedAhead).toBe(true);
    expect(calls).toBeGreaterThan(0);
  });
});
