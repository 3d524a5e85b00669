import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../../bridges/mqtt/classify.ts";
import type { MessageSource, SourceHandlers } from "../../../../bridges/mqtt/source.ts";
import { DecodeQueue, MAX_AHEAD } from "../../../../cli/embedded/decoder/decodeQueue.ts";
import type { Awaiting } from "../../../../cli/embedded/decoder/decoderThread.ts";
import { decodingAhead } from "../../../../cli/embedded/decoder/decodingAhead.ts";
import { camOf, logger, stationOf, until, withDecoderThread } from "./decoderFixtures.ts";

describe("the queue in front of the decoder thread", () => {
  const fixture = withDecoderThread();

  it("keeps a message that may be a CloudEvent from the thread, and its place in the order", async () => {
    const taken: InboundMessage[] = [];
    const queue = new DecodeQueue<Awaiting>(fixture.thread, (item) => {
      taken.push(item.message);
      return undefined;
    });
    const cloudEvent: InboundMessage = {
      topic: "vanetza/out/cam",
      payload: Buffer.from("{}"),
      receivedAtMs: 0,
      userProperties: { specversion: "1.0" },
    };
    queue.push({
      message: { topic: "vanetza/out/cam", payload: camOf(1), receivedAtMs: 0 },
      decodedAhead: false,
    });
    queue.push({ message: cloudEvent, decodedAhead: false });
    queue.push({
      message: { topic: "vanetza/out/cam", payload: camOf(3), receivedAtMs: 0 },
      decodedAhead: false,
    });
    await until(() => taken.length === 3);
    expect(taken.map(stationOf)).toEqual(["1", "-", "3"]);
    // Left for the bridge: classify.ts recognises it by its MQTT 5 properties.
    expect(taken[1]).toBe(cloudEvent);
    expect(cloudEvent.decoded).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  it("decodes an MQTT session's messages ahead of the bridge, in order, acknowledging only through the bridge", async () => {
    let handlers: SourceHandlers | undefined;
    let closed = false;
    const session = (given: SourceHandlers): MessageSource => {
      handlers = given;
      return {
        isConnected: () => true,
        publish: async () => {},
        close: async () => {
          closed = true;
        },
      };
    };
    const taken: InboundMessage[] = [];
    const acked: number[] = [];
    let release: () => void = () => {};
    const full = new Promise<void>((resolve) => {
      release = resolve;
    });
    const source = decodingAhead(fixture.thread)(session)({
      topics: ["vanetza/out/+"],
      logger,
      onMessage: (message) => {
        taken.push(message);
        return taken.length === 1 ? full : undefined;
      },
    });
    const receive = handlers?.onMessage as SourceHandlers["onMessage"];
    const answers: (Promise<void> | void)[] = [];
    for (let station = 1; station <= MAX_AHEAD + 10; station++) {
      answers.push(
        receive(
          { topic: "vanetza/out/cam", payload: camOf(station), receivedAtMs: 0 },
          () => acked.push(station),
          false,
        ),
      );
    }
    // The session is told to wait once MAX_AHEAD messages wait here.
    expect(answers.slice(0, MAX_AHEAD - 1).every((answer) => answer === undefined)).toBe(true);
    expect(answers.at(-1)).toBeInstanceOf(Promise);
    await until(() => taken.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(taken).toHaveLength(1);
    release();
    await until(() => taken.length === MAX_AHEAD + 10);
    expect(taken.map(stationOf)).toEqual(
      Array.from({ length: MAX_AHEAD + 10 }, (_, index) => String(index + 1)),
    );
    expect(taken.every((message) => message.eventId !== undefined)).toBe(true);
    // The bridge acknowledges after delivery; nothing here acknowledged on its behalf.
    expect(acked).toEqual([]);
    await source.close();
    expect(closed).toBe(true);
  });
});
