/**
 * JSON already serialised: a payload published as it is. The proxy keeps each twin's dashboard row
 * as text, so the list of all twins is a join of strings, not a serialisation of every twin.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** The bytes of a publication: null is an empty message (clears a retained topic). */
export function publicationBody(payload: unknown): string {
  if (payload === null) return "";
  if (payload instanceof JsonText) return payload.text;
  return JSON.stringify(payload);
}

/** Where the proxy's dashboard JSON goes: an MQTT broker in practice, a list in tests. */
export interface DashboardPublisher {
  /** Publishes `payload` as JSON (see publicationBody): a value, a JsonText, or null for an empty message. */
  publish(topic: string, payload: unknown, options: { retain: boolean }): Promise<void>;
  close?(): Promise<void>;
}

/** Keeps what was published, in order, as JSON values: for tests and for composing in one process. */
export class CollectingPublisher implements DashboardPublisher {
  readonly messages: { topic: string; payload: unknown; retain: boolean }[] = [];
  async publish(topic: string, payload: unknown, options: { retain: boolean }): Promise<void> {
    const value: unknown = payload instanceof JsonText ? JSON.parse(payload.text) : payload;
    this.messages.push({ topic, payload: value, retain: options.retain });
  }
  /** The last payload published on a topic. */
  last(topic: string): unknown {
    return this.messages.findLast((message) => message.topic === topic)?.payload;
  }
}
