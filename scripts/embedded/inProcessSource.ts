/**
 * The embedded bridges' source: a subscription inside the embedded Aedes broker instead of an
 * MQTT session over loopback TCP. The same messages in the same order (every listener of a topic
 * is called in publish order), without encoding, socket writes, parsing and PUBACKs twice per
 * message and MEC.
 *
 * Acknowledgement: the broker's part ends when the bridge has taken the message into its queue,
 * which lives in the same process as the broker's memory; a crash loses both alike, as the
 * broker's in-memory persistent sessions did. Back-pressure holds the broker's callback, which
 * stops Aedes reading from the publishing connection.
 */
import type { Aedes, AedesPublishPacket } from "aedes";
import type { InboundMessage } from "../../bridges/mqtt/classify.ts";
import type { MessageSource, SourceFactory } from "../../bridges/mqtt/source.ts";

export interface InProcessSource {
  /** Starts the source of one bridge. */
  start: SourceFactory;
  /** True for the first bridge that rejects a message: the one that reports it. */
  claimRejection(message: InboundMessage): boolean;
}

type Listener = (packet: AedesPublishPacket, done: () => void) => void;

const withTimeout = (work: (done: (error?: Error) => void) => void, ms: number, what: string) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not taken by the broker in ${ms} ms`)), ms);
    work((error) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    });
  });

/**
 * One factory per broker: the bridges it starts share each message object (the broker hands the
 * same packet to every listener), so what one bridge learnt about it (its decoding) the next reuses.
 */
export function inProcessSource(broker: Aedes): InProcessSource {
  // The broker calls every listener of a packet one after the other, so the last packet is the
  // only one to remember (a WeakMap per message cost more, in look-ups and in GC, than it saved).
  const rejected = new WeakSet<InboundMessage>();
  let lastPacket: AedesPublishPacket | undefined;
  let lastMessage: InboundMessage | undefined;
  const messageOf = (packet: AedesPublishPacket): InboundMessage => {
    if (packet === lastPacket && lastMessage !== undefined) return lastMessage;
    const message: InboundMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      receivedAtMs: Date.now(),
    };
    lastPacket = packet;
    lastMessage = message;
    return message;
  };
  const start: SourceFactory = ({ topics, logger, onMessage }): MessageSource => {
    let open = true;
    const listener: Listener = (packet, done) => {
      if (!open) {
        done();
        return;
      }
      const message = messageOf(packet);
      let held: Promise<void> | void;
      try {
        held = onMessage(message, () => {}, false);
      } catch (error) {
        logger.error({ err: error, topic: message.topic }, "message handler failed");
        done();
        return;
      }
      if (held === undefined) done();
      else
        held.then(done, (error: unknown) => {
          logger.error({ err: error, topic: message.topic }, "message handler failed");
          done();
        });
    };
    for (const topic of topics) broker.subscribe(topic, listener, () => {});
    return {
      isConnected: () => open && !broker.closed,
      publish(topic, payload, timeoutMs = 10_000) {
        return withTimeout(
          (done) =>
            broker.publish(
              {
                cmd: "publish",
                topic,
                payload: typeof payload === "string" ? Buffer.from(payload) : payload,
                qos: 1,
                retain: false,
                dup: false,
              },
              done,
            ),
          timeoutMs,
          `publish to ${topic}`,
        );
      },
      async close() {
        open = false;
        await Promise.all(
          topics.map(
            (topic) => new Promise<void>((resolve) => broker.unsubscribe(topic, listener, () => resolve())),
          ),
        );
      },
    };
  };
  return {
    start,
    claimRejection(message) {
      if (rejected.has(message)) return false;
      rejected.add(message);
      return true;
    },
  };
}
