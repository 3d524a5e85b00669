/** CloudEvents as the bridge sends them, for the twin service tests. */
import { CloudEvent } from "cloudevents";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import { citsEventType, EXTENSIONS } from "../../../functions/lib/events.ts";

export const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

export function citsEvent(message: CitsMessage, id: string, traceparent = TRACEPARENT): CloudEvent<unknown> {
  return new CloudEvent<unknown>({
    id,
    type: citsEventType(message.type),
    source: "/vvcu/mec-a/bridge",
    subject: message.stationId,
    datacontenttype: "application/json",
    data: message,
    [EXTENSIONS.messageType]: message.type,
    [EXTENSIONS.traceparent]: traceparent,
  });
}
