/** The in-process transport of the embedded stack: hands each event to an EventSink (the MEC's router). */
import type { CloudEvent } from "cloudevents";
import { type EventSink, SinkError } from "./sink.ts";

/**
 * An error thrown by the sink is a bug or a refusal in our own code, which retrying will not fix:
 * it is dead-lettered. A sink that wants a retry (a store that is briefly away) throws a
 * SinkError with retryable = true, or any error with `retryable: true`.
 */
export function inProcessTransport(sink: EventSink): EventSink {
  return {
    // Not async: this runs for every message; a sink that took the event answers at once.
    emit(event: CloudEvent<unknown>): Promise<void> {
      try {
        return sink.emit(event).catch(refusal);
      } catch (error) {
        return refusal(error);
      }
    },
  };
}

function refusal(error: unknown): never {
  if (error instanceof SinkError) throw error;
  const retryable = (error as { retryable?: unknown } | null)?.retryable === true;
  const message = error instanceof Error ? error.message : String(error);
  throw new SinkError(`in-process sink failed: ${message}`, retryable, undefined, message);
}
