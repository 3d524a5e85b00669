/**
 * The embedded stand-in for a MEC's Knative Broker: accepts CloudEvents (it is an EventSink)
 * and delivers each one to the functions whose Triggers (knative/triggers.yaml) match it.
 *
 * - One router per MEC, as each MEC cluster has its own Broker. Functions subscribe by their
 *   Knative Service name (`vvcu-twin`, `vvcu-geofence`, ...). The control plane is one set of
 *   functions subscribed to every MEC's router (see cli/embedded/), so it sees all MECs.
 * - Delivery is asynchronous: `emit` resolves once the event is accepted, like the Broker's
 *   ingress answering 202.
 * - Bounded: external producers (the bridge) send through `ingress()`, which waits while
 *   `maxQueued` events are in flight and so back-pressures MQTT. Functions emit with `emit`,
 *   which always accepts: a function waiting for room in a queue it is draining would deadlock.
 * - Ordered per twin: the deliveries to one subscriber for one subject (the station / twin id)
 *   run one at a time, in arrival order; different twins, and different subscribers, run
 *   concurrently (each subscriber has its queue, as each Trigger delivers on its own).
 * - A failing or hanging function is logged (rate-limited) and counted; the router goes on.
 */
import type { CloudEvent } from "cloudevents";
import { componentLogger, type Logger, rateLimited } from "../log.ts";
import { beforeMetricRead, metrics } from "../metrics.ts";
import type { EventSink } from "./emit/sink.ts";
import { KeyedQueue } from "./keyedQueue.ts";
import { TriggerMatcher, type TriggerRoute } from "./triggers.ts";

export type EventHandler = (event: CloudEvent<unknown>) => Promise<void> | void;

export interface RouterOptions {
  /** The MEC this broker belongs to (metrics label, logs). */
  mec: string;
  routes: TriggerRoute[];
  /** Deliveries running at once per subscriber (different twins). */
  concurrency?: number;
  /** Accepted, undelivered events above which external producers wait. */
  maxQueued?: number;
  /** A delivery still running after this long is counted as a timeout and the twin's next event goes on. */
  deliveryTimeoutMs?: number;
  logger?: Logger;
}

export interface RouterStats {
  accepted: number;
  delivered: number;
  failed: number;
  timedOut: number;
  /** Deliveries to a Trigger whose subscriber is not running here. */
  noSubscriber: number;
  queued: number;
}

const DELIVERY_OUTCOMES = ["delivered", "failed", "timeout", "no-subscriber"] as const;
type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

interface Delivery {
  subscriber: string;
  event: CloudEvent<unknown>;
  /** Its subscriber had gone when its turn came: counted as no-subscriber, not delivered. */
  unsubscribed?: boolean;
}

/** What `emit` answers once it has taken an event: one promise for all, not one per event. */
const ACCEPTED: Promise<void> = Promise.resolve();

export class EventRouter implements EventSink {
  readonly mec: string;
  private readonly routes: TriggerRoute[];
  private readonly matcher: TriggerMatcher;
  /** Deliveries per subscriber and outcome not yet added to the Prometheus counter (on read). */
  private readonly unreported = new Map<string, Record<DeliveryOutcome, number>>();
  private readonly stopReporting: () => void;
  private readonly handlers = new Map<string, EventHandler>();
  /** One queue per subscriber, keyed by subject. */
  private readonly queues = new Map<string, KeyedQueue<Delivery>>();
  private readonly concurrency: number;
  /** Accepted, undelivered deliveries over every subscriber's queue. */
  private queued = 0;
  private readonly maxQueued: number;
  private readonly deliveryTimeoutMs: number;
  private readonly logger: Logger;
  private readonly logLimited = rateLimited(10_000);
  private spaceWaiters: (() => void)[] = [];
  private closed = false;
  private readonly counts = { accepted: 0, delivered: 0, failed: 0, timedOut: 0, noSubscriber: 0 };

  constructor(options: RouterOptions) {
    this.mec = options.mec;
    this.routes = options.routes;
    this.matcher = new TriggerMatcher(options.routes);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.concurrency = options.concurrency ?? 64;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 30_000;
    this.logger = options.logger ?? componentLogger("router", { mec: options.mec });
    // Metrics are handed over when read: per delivery, prom-client's label hashing cost more
    // than the routing.
    const stopDeliveries = beforeMetricRead(metrics.routerDeliveries, () => this.reportDeliveries());
    const stopDepth = beforeMetricRead(metrics.routerQueueDepth, () =>
      metrics.routerQueueDepth.set({ mec: this.mec }, this.queued),
    );
    this.stopReporting = () => {
      stopDeliveries();
      stopDepth();
    };
  }

  /** Registers the function behind a Knative Service name; returns the unsubscribe. */
  subscribe(subscriber: string, handler: EventHandler): () => void {
    if (this.handlers.has(subscriber))
      throw new Error(`${subscriber} is already subscribed to the ${this.mec} router`);
    this.handlers.set(subscriber, handler);
    if (!this.queues.has(subscriber)) this.queues.set(subscriber, this.queueFor(subscriber));
    return () => {
      if (this.handlers.get(subscriber) === handler) this.handlers.delete(subscriber);
    };
  }

  /** The Service names the Triggers route to, for checking that every one is wired. */
  subscribers(): string[] {
    return [...new Set(this.routes.map((route) => route.subscriber))];
  }

  /** The sink for producers outside the functions (the bridge): waits while the router is full. */
  ingress(): EventSink {
    return {
      emit: (event) =>
        this.closed || this.queued < this.maxQueued ? this.emit(event) : this.emitWithRoom(event),
    };
  }

  /**
   * Accepts at once (functions emit here while they handle a delivery). Not async, and one
   * answer for every accepted event: this runs for every event, several times.
   */
  emit(event: CloudEvent<unknown>): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the ${this.mec} router is closed`));
    this.counts.accepted++;
    const attributes = event as unknown as Record<string, unknown>;
    const key = event.subject ?? event.id;
    for (const route of this.matcher.matching(attributes)) {
      const queue = this.handlers.has(route.subscriber) ? this.queues.get(route.subscriber) : undefined;
      if (queue === undefined) {
        this.counts.noSubscriber++;
        this.count(route.subscriber, "no-subscriber");
        continue;
      }
      queue.push(key, { subscriber: route.subscriber, event });
    }
    return ACCEPTED;
  }

  stats(): RouterStats {
    return { ...this.counts, queued: this.queued };
  }

  /** Resolves when every accepted event has been delivered (or has failed). */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.idle()));
  }

  /** Stops accepting and waits up to `timeoutMs` for the deliveries in flight. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.closed = true;
    this.releaseWaiters();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.reportDeliveries();
    metrics.routerQueueDepth.set({ mec: this.mec }, this.queued);
    this.stopReporting();
  }

  private async emitWithRoom(event: CloudEvent<unknown>): Promise<void> {
    while (!this.closed && this.queued >= this.maxQueued) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    await this.emit(event);
  }

  private queueFor(subscriber: string): KeyedQueue<Delivery> {
    let size = 0;
    return new KeyedQueue<Delivery>({
      concurrency: this.concurrency,
      worker: (delivery) => this.deliver(delivery),
      onDone: (delivery) => {
        if (!delivery.unsubscribed) this.delivered(subscriber);
      },
      onError: (error, delivery) => this.failed(error, delivery),
      onSizeChange: (next) => {
        this.queued += next - size;
        size = next;
        if (this.queued < this.maxQueued && this.spaceWaiters.length > 0) this.releaseWaiters();
      },
      timeoutMs: this.deliveryTimeoutMs,
      onTimeout: (delivery) => this.timedOut(subscriber, delivery.event),
    });
  }

  /**
   * Runs the handler; resolves when it is done, rejects when it fails. The queue counts the
   * outcome, and lets go of a handler still running after the delivery timeout (timeoutMs).
   */
  private deliver(delivery: Delivery): Promise<void> {
    const { subscriber, event } = delivery;
    const handler = this.handlers.get(subscriber);
    if (handler === undefined) {
      delivery.unsubscribed = true;
      this.counts.noSubscriber++;
      this.count(subscriber, "no-subscriber");
      return ACCEPTED;
    }
    let handled: Promise<void> | void;
    try {
      handled = handler(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return handled instanceof Promise ? handled : ACCEPTED;
  }

  private delivered(subscriber: string): void {
    this.counts.delivered++;
    this.count(subscriber, "delivered");
  }

  private timedOut(subscriber: string, event: CloudEvent<unknown>): void {
    this.counts.timedOut++;
    this.count(subscriber, "timeout");
    this.logLimited(`timeout:${subscriber}`, () =>
      this.logger.warn(
        { subscriber, type: event.type, subject: event.subject, timeoutMs: this.deliveryTimeoutMs },
        "delivery timed out; going on with the next event",
      ),
    );
  }

  private failed(error: unknown, { subscriber, event }: Delivery): void {
    this.counts.failed++;
    this.count(subscriber, "failed");
    this.logLimited(`failed:${subscriber}`, () =>
      this.logger.error(
        { subscriber, type: event.type, subject: event.subject, id: event.id, err: error },
        "function failed to handle an event",
      ),
    );
  }

  private count(subscriber: string, outcome: DeliveryOutcome): void {
    let counts = this.unreported.get(subscriber);
    if (counts === undefined) {
      counts = { delivered: 0, failed: 0, timeout: 0, "no-subscriber": 0 };
      this.unreported.set(subscriber, counts);
    }
    counts[outcome]++;
  }

  private reportDeliveries(): void {
    for (const [subscriber, counts] of this.unreported) {
      for (const outcome of DELIVERY_OUTCOMES) {
        if (counts[outcome] === 0) continue;
        metrics.routerDeliveries.inc({ mec: this.mec, subscriber, outcome }, counts[outcome]);
        counts[outcome] = 0;
      }
    }
  }

  private releaseWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
