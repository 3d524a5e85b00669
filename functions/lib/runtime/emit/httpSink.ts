/**
 * A function's outgoing events in a cluster: HTTP to its Knative sink (K_SINK: the MEC's Broker) in
 * CloudEvents binary mode, retried with backoff for a bounded time. The same transport and retry as
 * the bridge's, composed once here.
 */
import { httpTransport, parseCeOverrides } from "./httpTransport.ts";
import { retrying } from "./retry.ts";
import type { EventSink } from "./sink.ts";

export interface HttpSinkOptions {
  /** K_SINK. */
  url: string;
  /** K_CE_OVERRIDES, as Knative sets it. */
  ceOverrides?: string;
  /** One request, connect to answer. */
  timeoutMs?: number;
  /** All attempts of one event together; then the event is given up and the error thrown. */
  deadlineMs?: number;
  maxSockets?: number;
}

export function httpSink(options: HttpSinkOptions): EventSink & { close(): Promise<void> } {
  const transport = httpTransport({
    url: options.url,
    overrides: parseCeOverrides(options.ceOverrides),
    timeoutMs: options.timeoutMs ?? 5_000,
    maxSockets: options.maxSockets ?? 16,
  });
  return retrying(transport, { deadlineMs: options.deadlineMs ?? 30_000 });
}
