import net from "node:net";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../bridges/mqtt/classify.ts";
import { eventId } from "../../../bridges/mqtt/event.ts";
import { decode } from "../../../functions/lib/cits/decode.ts";
import { MAX_AHEAD } from "../../../scripts/embedded/decoder/decodeQueue.ts";
import type { Awaiting } from "../../../scripts/embedded/decoder/decoderThread.ts";
import { inProcessSource } from "../../../scripts/embedded/inProcessSource.ts";
import { connect } from "../../e2e/harness.ts";
import {
  CAM,
  camOf,
  logger,
  publishTo,
  stationOf,
  until,
  withBrokerAndThread,
  withDecoderThread,
} from "./decoderFixtures.ts";

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

describe("the in-process source with a decoder thread", () => {
  const fixture = withBrokerAndThread();

  const publish = (payload: Buffer, qos: 0 | 1 = 0) =>
    publishTo(fixture.broker, "vanetza/out/cam", payload, qos);

  it("hands decoded messages to every bridge in publish order, as one shared object", async () => {
    const source = inProcessSource(fixture.broker, fixture.thread);
    const seen: InboundMessage[][] = [[], []];
    const bridges = seen.map((list) =>
      source.start({ topics: ["vanetza/out/+"], logger, onMessage: (message) => void list.push(message) }),
    );
    for (let station = 1; station <= 300; station++) await publish(camOf(station));
    await until(() => (seen[1]?.length ?? 0) === 300);
    const [first, second] = seen as [InboundMessage[], InboundMessage[]];
    expect(first.map(stationOf)).toEqual(Array.from({ length: 300 }, (_, index) => String(index + 1)));
    expect(second.every((message, index) => message === first[index])).toBe(true);
    expect(first.every((message) => message.eventId === eventId(message.topic, message.payload))).toBe(true);
    await Promise.all(bridges.map((bridge) => bridge.close()));
  });

  it("waits for a full bridge without reordering, and holds a publishing client once too much waits, not the others", async () => {
    const source = inProcessSource(fixture.broker, fixture.thread);
    let release: () => void = () => {};
    const room = new Promise<void>((resolve) => {
      release = resolve;
    });
    const taken: string[] = [];
    const bridge = source.start({
      topics: ["vanetza/out/+"],
      logger,
      onMessage: (message) => {
        taken.push(stationOf(message));
        return taken.length === 1 ? room : undefined;
      },
    });
    const server = net.createServer(fixture.broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const [loud, quiet] = await Promise.all([connect(url), connect(url)]);
    // Far more than the source lets wait (MAX_AHEAD): the broker stops taking this client's.
    const total = MAX_AHEAD + 500;
    let acknowledged = 0;
    const published = Array.from({ length: total }, (_, index) =>
      loud.publishAsync("vanetza/out/cam", camOf(index + 1), { qos: 1 }).then(() => {
        acknowledged++;
      }),
    );
    try {
      await until(() => taken.length === 1);
      // The broker acknowledges a socket read's publications together: wait until that stops.
      let seen = -1;
      while (seen !== acknowledged) {
        seen = acknowledged;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(taken).toEqual(["1"]);
      expect(acknowledged).toBeLessThan(total);
      // Another client's publication to a topic no bridge reads still goes through.
      await quiet.publishAsync("elsewhere/status", "ok", { qos: 1 });
      release();
      await Promise.all(published);
      await until(() => taken.length === total);
      expect(taken).toEqual(Array.from({ length: total }, (_, index) => String(index + 1)));
    } finally {
      // A failed assertion leaves publications unanswered: closing the client fails them, expectedly.
      for (const publication of published) publication.catch(() => {});
      await Promise.all([loud.endAsync(true), quiet.endAsync(true)]);
      await bridge.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
