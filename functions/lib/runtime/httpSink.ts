/**
 * An EventSink that posts to a Knative sink (K_SINK: the MEC's Broker) over HTTP, in CloudEvents
 * binary mode with keep-alive connections. It reuses the bridge's delivery (one HTTP client in
 * the project) and retries network errors, 429 and 5xx with backoff for a bounded time.
 */
import type { CloudEvent } from "cloudevents";
import { deliverWithRetry } from "../../../bridges/mqtt/delivery.ts";
import { httpDelivery, parseCeOverrides } from "../../../bridges/mqtt/httpDelivery.ts";
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

export class HttpSink implements EventSink {
  private readonly delivery: ReturnType<typeof httpDelivery>;
  private readonly deadlineMs: number;
  private readonly closing = new AbortController();

  constructor(options: HttpSinkOptions) {
    this.delivery = httpDelivery({
      url: options.url,
      overrides: parseCeOverrides(options.ceOverrides),
      timeoutMs: options.timeoutMs ?? 5_000,
      maxSockets: options.maxSockets ?? 16,
    });
    this.deadlineMs = options.deadlineMs ?? 30_000;
  }

  async emit(event: CloudEvent<unknown>): Promise<void> {
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.deadlineMs)]);
    await deliverWithRetry(this.delivery, event, { signal });
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.delivery.close();
  }
}
