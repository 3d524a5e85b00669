/**
 * Where the bridge's messages come from: a broker session over the network (mqttSource.ts), or,
 * in the embedded stack, a subscription inside the broker's own process (cli/embedded).
 */
import type { Logger } from "../../functions/lib/log.ts";
import type { InboundMessage } from "./classify.ts";

export interface SourceHandlers {
  topics: readonly string[];
  logger: Logger;
  /**
   * Called for each message. `ack` acknowledges it (call it exactly once, when the message is
   * delivered or dead-lettered). While the returned promise is pending the source takes no more
   * from its broker: that is the back-pressure.
   */
  onMessage(message: InboundMessage, ack: () => void, redelivered: boolean): Promise<void> | void;
}

export interface MessageSource {
  isConnected(): boolean;
  /** Publishes at QoS 1 (the dead-letter records) and resolves when the broker has it. */
  publish(topic: string, payload: string | Buffer, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a source for one bridge; the bridge passes its handlers. */
export type SourceFactory = (handlers: SourceHandlers) => MessageSource;
