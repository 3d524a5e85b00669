/**
 * Where a function sends the CloudEvents it produces. In a cluster: the MEC's Knative
 * Broker over HTTP; in the embedded stack: the in-process router.
 */
import type { CloudEvent } from "cloudevents";

export interface EventSink {
  emit(event: CloudEvent<unknown>): Promise<void>;
}

/** Collects events; for tests and for composing functions in one process. */
export class CollectingSink implements EventSink {
  readonly events: CloudEvent<unknown>[] = [];
  async emit(event: CloudEvent<unknown>): Promise<void> {
    this.events.push(event);
  }
}
