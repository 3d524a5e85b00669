/**
 * Where a function sends the CloudEvents it produces. In a cluster: the MEC's Knative
 * Broker over HTTP; in the embedded stack: the in-process router.
 */
import type { CloudEvent } from "cloudevents";

export interface EventSink {
  /** Resolves once the sink took the event; rejects with a SinkError that says whether a retry can help. */
  emit(event: CloudEvent<unknown>): Promise<void>;
  close?(): Promise<void>;
}

export class SinkError extends Error {
  override readonly name = "SinkError";
  constructor(
    message: string,
    /** Network error, timeout, 429 or 5xx: the same event may succeed later. */
    readonly retryable: boolean,
    /** The sink's answer, when it answered. */
    readonly status?: number,
    readonly body?: string,
    /** What the sink asked for (Retry-After), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Whether an HTTP status means "try again later". */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

export class EmitAborted extends Error {
  override readonly name = "EmitAborted";
}

/** Collects events; for tests and for composing functions in one process. */
export class CollectingSink implements EventSink {
  readonly events: CloudEvent<unknown>[] = [];
  async emit(event: CloudEvent<unknown>): Promise<void> {
    this.events.push(event);
  }
}
