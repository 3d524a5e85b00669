/**
 * The embedded stand-in for a MEC's Knative Broker: accepts CloudEvents (it is an EventSink)
 * and delivers each one to the functions whose Triggers (knative/triggers.yaml) match it.
 *
 * - One router per MEC, as each MEC cluster has its own Broker. Functions subscribe by their
 *   Knative Service name (`vvcu-twin`, `vvcu-geofence`, ...). The control plane is one set of
 *   functions subscribed to every MEC's router (see scripts/embedded/), so it sees all MECs.
 * - Delivery is asynchronous: `emit` resolves once the event is accepted, like the Broker's
 *   ingress answering 202.
 * - Bounded: external producers (the bridge) send through `ingress()`, which waits while
 *   `maxQueued` events are in flight and so back-pressures MQTT. Functions emit with `emit`,
 *   which always accepts: a function waiting for room in a queue it is draining would deadlock.
 * - Ordered per twin: the deliveries to one subscriber for one subject (the station / twin id)
 *   run one at a time, in arrival order; different twins run concurrently.
 * - A failing or hanging function is logged (rate-limited) and counted; the router goes on.
 */
import type { CloudEvent } from "cloudevents";
import { componentLogger, type Logger, rateLimited } from "../log.ts";
import { metrics } from "../metrics.ts";
import { KeyedQueue } from "./keyedQueue.ts";
import type { EventSink } from "./sink.ts";
import { matchingTriggers, type TriggerRoute } from "./triggers.ts";

export type EventHandler = (event: CloudEvent<unknown>) => Promise<void> | void;

export interface RouterOptions {
  /** The MEC this broker belongs to (metrics label, logs). */
  mec: string;
  routes: TriggerRoute[];
  /** Deliveries running at once (different twins). */
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

interface Delivery {
  subscriber: string;
  event: CloudEvent<unknown>;
}

export class EventRouter implements EventSink {
  readonly mec: string;
  private readonly routes: TriggerRoute[];
  private readonly handlers = new Map<string, EventHandler>();
  private readonly queue: KeyedQueue<Delivery>;
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
    this.maxQueued = options.maxQueued ?? 10_000;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 30_000;
    this.logger = options.logger ?? componentLogger("router", { mec: options.mec });
    const depth = metrics.routerQueueDepth.labels(this.mec);
    this.queue = new KeyedQueue<Delivery>({
      concurrency: options.concurrency ?? 64,
      worker: (delivery) => this.deliver(delivery),
      onError: (error, delivery) => this.failed(error, delivery),
      onSizeChange: (size) => {
        depth.set(size);
        if (size < this.maxQueued) this.releaseWaiters();
      },
    });
  }

  /** Registers the function behind a Knative Service name; returns the unsubscribe. */
  subscribe(subscriber: string, handler: EventHandler): () => void {
    if (this.handlers.has(subscriber))
      throw new Error(`${subscriber} is already subscribed to the ${this.mec} router`);
    this.handlers.set(subscriber, handler);
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
      emit: async (event) => {
        while (!this.closed && this.queue.size >= this.maxQueued) {
          await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
        }
        await this.emit(event);
      },
    };
  }

  /** Accepts at once (functions emit here while they handle a delivery). */
  async emit(event: CloudEvent<unknown>): Promise<void> {
    if (this.closed) throw new Error(`the ${this.mec} router is closed`);
    this.counts.accepted++;
    const attributes = event as unknown as Record<string, unknown>;
    const key = event.subject ?? event.id;
    for (const route of matchingTriggers(this.routes, attributes)) {
      if (!this.handlers.has(route.subscriber)) {
        this.counts.noSubscriber++;
        metrics.routerDeliveries.inc({
          mec: this.mec,
          subscriber: route.subscriber,
          outcome: "no-subscriber",
        });
        continue;
      }
      this.queue.push(`${route.subscriber}\u0000${key}`, { subscriber: route.subscriber, event });
    }
  }

  stats(): RouterStats {
    return { ...this.counts, queued: this.queue.size };
  }

  /** Resolves when every accepted event has been delivered (or has failed). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops accepting and waits up to `timeoutMs` for the deliveries in flight. */
  async close(timeoutMs = 2_000): Promise<void> {
    this.closed = true;
    this.releaseWaiters();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.queue.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async deliver({ subscriber, event }: Delivery): Promise<void> {
    const handler = this.handlers.get(subscriber);
    if (handler === undefined) {
      this.counts.noSubscriber++;
      metrics.routerDeliveries.inc({ mec: this.mec, subscriber, outcome: "no-subscriber" });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.deliveryTimeoutMs);
    });
    try {
      const outcome = await Promise.race([(async () => handler(event))(), timedOut]);
      if (outcome === "timeout") {
        this.counts.timedOut++;
        metrics.routerDeliveries.inc({ mec: this.mec, subscriber, outcome: "timeout" });
        this.logLimited(`timeout:${subscriber}`, () =>
          this.logger.warn(
            { subscriber, type: event.type, subject: event.subject, timeoutMs: this.deliveryTimeoutMs },
            "delivery timed out; going on with the next event",
          ),
        );
        return;
      }
      this.counts.delivered++;
      metrics.routerDeliveries.inc({ mec: this.mec, subscriber, outcome: "delivered" });
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(error: unknown, { subscriber, event }: Delivery): void {
    this.counts.failed++;
    metrics.routerDeliveries.inc({ mec: this.mec, subscriber, outcome: "failed" });
    this.logLimited(`failed:${subscriber}`, () =>
      this.logger.error(
        { subscriber, type: event.type, subject: event.subject, id: event.id, err: error },
        "function failed to handle an event",
      ),
    );
  }

  private releaseWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
