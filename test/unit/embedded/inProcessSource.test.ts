import type { AedesPublishPacket } from "aedes";
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../bridges/mqtt/classify.ts";
import { inProcessSource } from "../../../scripts/embedded/inProcessSource.ts";
import { logger, publishTo, until, withBrokerAndThread } from "./decoderFixtures.ts";

const TOPICS = ["vanetza/out/+"] as const;

describe("the embedded bridges' in-process source", () => {
  const fixture = withBrokerAndThread();

  it("hands every matching message to every bridge, in publish order, as one shared message object", async () => {
    const factory = inProcessSource(fixture.broker, fixture.thread).start;
    const seen: InboundMessage[][] = [[], []];
    const sources = seen.map((list) =>
      factory({ topics: TOPICS, logger, onMessage: (message) => void list.push(message) }),
    );
    for (let i = 0; i < 50; i++) await publishTo(fixture.broker, "vanetza/out/cam", `{"n":${i}}`);
    await publishTo(fixture.broker, "elsewhere/cam", "{}");
    await until(() => seen[1]?.length === 50);
    const [first, second] = seen as [InboundMessage[], InboundMessage[]];
    expect(first.map((m) => JSON.parse(m.payload.toString()).n)).toEqual([...Array(50).keys()]);
    expect(second).toHaveLength(50);
    // The same object: what the first bridge learnt about a message (its decoding) the second reuses.
    expect(second.every((message, i) => message === first[i])).toBe(true);
    expect(first[0]?.topic).toBe("vanetza/out/cam");
    await Promise.all(sources.map((source) => source.close()));
  });

  it("keeps serving when a handler throws, and takes nothing after close", async () => {
    const taken: string[] = [];
    const source = inProcessSource(fixture.broker, fixture.thread).start({
      topics: TOPICS,
      logger,
      onMessage: (message) => {
        if (message.payload.toString() === "boom") throw new Error("handler bug");
        taken.push(message.payload.toString());
      },
    });
    await publishTo(fixture.broker, "vanetza/out/cam", "boom");
    await publishTo(fixture.broker, "vanetza/out/cam", "after");
    await until(() => taken.length === 1);
    expect(taken).toEqual(["after"]);
    expect(source.isConnected()).toBe(true);
    await source.close();
    expect(source.isConnected()).toBe(false);
    await publishTo(fixture.broker, "vanetza/out/cam", "late");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(taken).toEqual(["after"]);
  });

  it("lets the first bridge that rejects a message report it, once", async () => {
    const source = inProcessSource(fixture.broker, fixture.thread);
    const message: InboundMessage = { topic: "vanetza/out/cam", payload: Buffer.from("x"), receivedAtMs: 0 };
    const other: InboundMessage = { ...message };
    expect(source.claimRejection(message)).toBe(true);
    expect(source.claimRejection(message)).toBe(false);
    expect(source.claimRejection(other)).toBe(true);
  });

  it("publishes the dead-letter records into the broker at QoS 1", async () => {
    const received: AedesPublishPacket[] = [];
    fixture.broker.subscribe(
      "vvcu/deadletter",
      (packet, done) => {
        received.push(packet);
        done();
      },
      () => {},
    );
    const source = inProcessSource(fixture.broker, fixture.thread).start({
      topics: TOPICS,
      logger,
      onMessage: () => {},
    });
    await source.publish("vvcu/deadletter", JSON.stringify({ code: "not-json" }));
    expect(received).toHaveLength(1);
    expect(received[0]?.qos).toBe(1);
    expect(JSON.parse(received[0]?.payload.toString() ?? "")).toEqual({ code: "not-json" });
    await source.close();
  });
});
