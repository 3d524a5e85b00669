/** Where the proxy's dashboard JSON goes: an MQTT broker in practice, a list in tests. */
export interface DashboardPublisher {
  /** Publishes `payload` as JSON; null publishes an empty message (clears a retained topic). */
  publish(topic: string, payload: unknown, options: { retain: boolean }): Promise<void>;
  close?(): Promise<void>;
}

/** Keeps what was published, in order: for tests and for composing in one process. */
export class CollectingPublisher implements DashboardPublisher {
  readonly messages: { topic: string; payload: unknown; retain: boolean }[] = [];
  async publish(topic: string, payload: unknown, options: { retain: boolean }): Promise<void> {
    this.messages.push({ topic, payload, retain: options.retain });
  }
  /** The last payload published on a topic. */
  last(topic: string): unknown {
    return this.messages.findLast((message) => message.topic === topic)?.payload;
  }
}
