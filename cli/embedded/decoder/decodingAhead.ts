/**
 * A bridge's own MQTT session (the embedded stack with an external broker) with each message
 * decoded on the decoder thread before the bridge takes it, in the order the session received them.
 * The acknowledgement still waits for the bridge's delivery, so a message still waiting here at a
 * shutdown is redelivered by the broker to the next session.
 */
import type { SourceFactory } from "../../../bridges/mqtt/source.ts";
import { DecodeQueue } from "./decodeQueue.ts";
import type { Awaiting, DecoderThread } from "./decoderThread.ts";

interface Received extends Awaiting {
  ack: () => void;
  redelivered: boolean;
}

export function decodingAhead(thread: DecoderThread): (start: SourceFactory) => SourceFactory {
  return (start) => (handlers) => {
    const queue = new DecodeQueue<Received>(thread, (item) => {
      try {
        return handlers.onMessage(item.message, item.ack, item.redelivered) ?? undefined;
      } catch (error) {
        handlers.logger.error({ err: error, topic: item.message.topic }, "message handler failed");
        return undefined;
      }
    });
    const source = start({
      ...handlers,
      onMessage: (message, ack, redelivered) => {
        queue.push({ message, decodedAhead: false, ack, redelivered });
        return queue.room();
      },
    });
    return {
      isConnected: () => source.isConnected(),
      publish: (topic, payload, timeoutMs) => source.publish(topic, payload, timeoutMs),
      close: async () => {
        await source.close();
        queue.close();
      },
    };
  };
}
