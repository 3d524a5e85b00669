/** In-process delivery for the embedded stack: hands each event to an EventSink (the MEC's router). */
import type { CloudEvent } from "cloudevents";
import type { EventSink } from "../../functions/lib/runtime/sink.ts";
import { type Delivery, DeliveryError } from "./delivery.ts";

/**
 * An error thrown by the sink is a bug or a refusal in our own code, which retrying will not fix:
 * it is dead-lettered. A sink that wants a retry (a store that is briefly away) throws a
 * DeliveryError with retryable = true, or any error with `retryable: true`.
 */
export function sinkDelivery(sink: EventSink): Delivery {
  return {
    async deliver(event: CloudEvent<unknown>): Promise<void> {
      try {
        await sink.emit(event);
      } catch (error) {
        if (error instanceof DeliveryError) throw error;
        const retryable = (error as { retryable?: unknown } | null)?.retryable === true;
        const message = error instanceof Error ? error.message : String(error);
        throw new DeliveryError(`in-process sink failed: ${message}`, retryable, undefined, message);
      }
    },
  };
}
