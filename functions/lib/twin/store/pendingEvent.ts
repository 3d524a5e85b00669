/** A C-ITS event on its way through the twin service: queued, batched, applied or parked. */
import type { CitsMessage } from "../../cits/types.ts";
import { type ApplyContext, type ApplyResult, applyEvent } from "../state/reducer.ts";
import type { Updater } from "./store.ts";

export type HandleOutcome =
  | "applied"
  | "late"
  | "duplicate"
  | "parked"
  | "released"
  | "invalid"
  | "unsupported";

/** A queued event; also the store's update of its twin (one object per event, not two). */
export interface PendingEvent {
  /** The station's id: the twin to update. */
  id: string;
  /** Set when the event goes into a batch (applying, below). */
  updater: Updater;
  message: CitsMessage;
  eventId: string;
  traceparent: string | undefined;
  result: ApplyResult | undefined;
  /** Set by the store's `updateMany` when the twin is arriving: not applied, to be parked. */
  arriving: boolean;
  /** Set by the store's `updateMany` when the twin was released here: not applied, dropped. */
  released: boolean;
  done: (outcome: HandleOutcome) => void;
  failed: (error: unknown) => void;
}

const NOT_YET_APPLYING: Updater = (current) => current;

/**
 * The updater that applies a pending event. Made here rather than written inline where it is
 * used, so the closure carries no name of its own to set on every event.
 */
export function applying(pending: PendingEvent, context: ApplyContext): Updater {
  return (current) => {
    pending.result = applyEvent(current, pending.message, pending.eventId, context);
    return pending.result.record;
  };
}

/** A pending event, not yet in a batch (and one taken back from parking, to be applied). */
export function pendingEvent(
  message: CitsMessage,
  eventId: string,
  traceparent: string | undefined,
  done: (outcome: HandleOutcome) => void,
  failed: (error: unknown) => void,
): PendingEvent {
  return {
    id: message.stationId,
    updater: NOT_YET_APPLYING,
    message,
    eventId,
    traceparent,
    result: undefined,
    arriving: false,
    released: false,
    done,
    failed,
  };
}
