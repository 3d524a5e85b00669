/**
 * The embedded bridges' source: a subscription inside the embedded Aedes broker instead of an
 * MQTT session over loopback TCP. The same messages in the same order (every listener of a topic
 * is called in publish order), without encoding, socket writes, parsing and PUBACKs twice per
 * message and MEC.
 *
 * Acknowledgement: the broker's part ends when the bridge has taken the message into its queue
 * (the queue in front of the decoder thread and the bridges), which lives in the same process
 * as the broker's memory; a crash or a shutdown loses both alike, as it loses the in-memory twins
 * and the broker's in-memory sessions. Back-pressure stops Aedes reading from the publishing
 * connection, by holding the publisher's next publication (holdPublishersWhileFull).
 */
import type { Aedes, AedesPublishPacket } from "aedes";
import type { InboundMessage } from "../../bridges/mqtt/classify.ts";
import type { MessageSource, SourceFactory } from "../../bridges/mqtt/source.ts";
import { topicMatches } from "../../functions/lib/topics.ts";
import { DecodeQueue } from "./decoder/decodeQueue.ts";
import type { Awaiting, DecoderThread } from "./decoder/decoderThread.ts";

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

interface Pending extends Awaiting {
  /** The bridges' handlers this message goes to, in the order they subscribed. */
  handlers: ((message: InboundMessage) => Promise<void> | undefined)[];
}

/**
 * While the queue in front of the bridges is full, a client's next publication to a topic they
 * read waits for room before the broker takes it, which stops the broker reading from that client
 * alone. Holding the broker's callback instead filled its emitter, and then every publication
 * waited: other clients' and the dashboard proxy's too.
 */
function holdPublishersWhileFull(
  broker: Aedes,
  queue: DecodeQueue<Pending>,
  read: (topic: string) => boolean,
): void {
  const authorize = broker.authorizePublish;
  broker.authorizePublish = (client, packet, callback) => {
    authorize.call(broker, client, packet, (error) => {
      if (error) return callback(error);
      const room = read(packet.topic) ? queue.room() : undefined;
      if (room === undefined) callback(null);
      else room.then(() => callback(null));
    });
  };
}

/** Hands a message to each bridge in turn; waits for a bridge that says it is full. */
function handToBridges(pending: Pending): Promise<void> | undefined {
  // An index, not entries(): this runs for every message, and the iterator's pairs were garbage.
  const { handlers } = pending;
  for (let index = 0; index < handlers.length; index++) {
    const full = (handlers[index] as Pending["handlers"][number])(pending.message);
    if (full !== undefined) {
      const rest = handlers.slice(index + 1);
      return full.then(() => handToBridges({ ...pending, handlers: rest }));
    }
  }
  return undefined;
}

/**
 * One factory per broker: the bridges it starts share each message object (the broker hands the
 * same packet to every listener), so what one bridge learnt about it (its decoding) the next reuses.
 *
 * Each message is first sent to the decoder thread, and handed to the bridges when its answer is
 * back: the messages wait in one queue, in the broker's order, so every bridge still
 * sees them in the same order. The broker's callback returns at once.
 */
export function inProcessSource(broker: Aedes, thread: DecoderThread): InProcessSource {
  // The broker calls every listener of a packet one after the other, so the last packet is the
  // only one to remember (a WeakMap per message cost more, in look-ups and in GC, than it saved).
  const rejected = new WeakSet<InboundMessage>();
  let lastPacket: AedesPublishPacket | undefined;
  let lastMessage: InboundMessage | undefined;
  let lastPending: Pending | undefined;
  const messageOf = (packet: AedesPublishPacket): InboundMessage => {
    if (packet === lastPacket && lastMessage !== undefined) return lastMessage;
    const message: InboundMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      receivedAtMs: Date.now(),
    };
    lastPacket = packet;
    lastMessage = message;
    lastPending = undefined;
    return message;
  };

  const queue = new DecodeQueue<Pending>(thread, handToBridges);
  // The topics the bridges read: only their publishers wait for room. The answer per topic name is
  // kept (there are few; the bound is for clients that invent many).
  const bridgeTopics = new Set<string>();
  const readByBridges = new Map<string, boolean>();
  holdPublishersWhileFull(broker, queue, (topic) => {
    let read = readByBridges.get(topic);
    if (read === undefined) {
      read = [...bridgeTopics].some((filter) => topicMatches(filter, topic));
      if (readByBridges.size >= 1_024) readByBridges.clear();
      readByBridges.set(topic, read);
    }
    return read;
  });

  const pendingOf = (packet: AedesPublishPacket): Pending => {
    const message = messageOf(packet);
    if (lastPending !== undefined) return lastPending;
    const pending: Pending = { message, decodedAhead: false, handlers: [] };
    lastPending = pending;
    queue.push(pending);
    return pending;
  };

  const start: SourceFactory = ({ topics, logger, onMessage }): MessageSource => {
    for (const topic of topics) bridgeTopics.add(topic);
    readByBridges.clear();
    let open = true;
    const handle = (message: InboundMessage): Promise<void> | undefined => {
      if (!open) return undefined;
      try {
        const full = onMessage(message, () => {}, false);
        return full?.catch((error: unknown) => {
          logger.error({ err: error, topic: message.topic }, "message handler failed");
        });
      } catch (error) {
        logger.error({ err: error, topic: message.topic }, "message handler failed");
        return undefined;
      }
    };
    const listener: Listener = (packet, done) => {
      pendingOf(packet).handlers.push(handle);
      done();
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
