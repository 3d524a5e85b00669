/**
 * The proxy: twin.* and migration.* CloudEvents in, dashboard JSON out (Grafana's MQTT data
 * source). Per-twin topics go out with each event (the twin function already coalesces them);
 * the system topics at most once per interval, always with the latest state after a burst.
 */
import type { CloudEventV1 } from "cloudevents";
import { type EventType, isEventType, parseEventData } from "../events.ts";
import { componentLogger, type Logger, rateLimited } from "../log.ts";
import { beforeMetricRead, metrics } from "../metrics.ts";
import { eventLogContext } from "../tracing.ts";
import { Coalescer } from "../twin/coalescer.ts";
import type { DashboardPublisher } from "./publisher.ts";
import { type MigrationEventType, ProxyState, type Publication } from "./state.ts";

export type ProxyOutcome = "published" | "invalid" | "unsupported";

export interface ProxyServiceOptions {
  publisher: DashboardPublisher;
  /** System topics at most once per this interval. */
  systemIntervalMs?: number;
  /** MECs listed even before a twin lives there. */
  mecs?: string[];
  clock?: () => number;
  logger?: Logger;
}

const MIGRATION_PREFIX = "io.vvcu.migration.";
const SYSTEM_KEY = "system";

export class ProxyService {
  private readonly state: ProxyState;
  private readonly publisher: DashboardPublisher;
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly warnOnce = rateLimited(10_000);
  private readonly systemCoalescer: Coalescer;
  private readonly sending = new Set<Promise<void>>();
  /** Publications per kind not yet added to the Prometheus counter (handed over when it is read). */
  private readonly unreported = new Map<string, number>();
  private readonly stopReporting: () => void;

  constructor(options: ProxyServiceOptions) {
    this.publisher = options.publisher;
    this.state = new ProxyState(options.mecs);
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? componentLogger("proxy");
    this.systemCoalescer = new Coalescer({
      minIntervalMs: options.systemIntervalMs ?? 1_000,
      send: () => this.publishAll(this.state.systemPublications(this.clock())),
      now: this.clock,
    });
    this.stopReporting = beforeMetricRead(metrics.proxyPublished, () => this.reportPublished());
  }

  /** Handles one event; bad input is logged and counted, never thrown. */
  async handle(event: CloudEventV1<unknown>): Promise<ProxyOutcome> {
    const publications = this.publicationsFor(event);
    if (typeof publications === "string") return publications;
    await this.publishAll(publications);
    // The last hop of a traced CAM or migration: which dashboard topics it reached.
    if (this.log.isLevelEnabled("debug")) {
      this.log.debug(
        { ...eventLogContext(event), type: event.type, topics: publications.map((p) => p.topic) },
        "published to the dashboard",
      );
    }
    this.systemCoalescer.touch(SYSTEM_KEY);
    return "published";
  }

  /** Publishes the system topics now and waits for everything in flight. */
  async flush(): Promise<void> {
    this.systemCoalescer.flush();
    await Promise.all([...this.sending]);
  }

  async stop(): Promise<void> {
    await this.flush();
    this.systemCoalescer.stop();
    this.reportPublished();
    this.stopReporting();
  }

  private reportPublished(): void {
    for (const [kind, count] of this.unreported) {
      if (count > 0) metrics.proxyPublished.inc({ kind }, count);
    }
    this.unreported.clear();
  }

  private publicationsFor(event: CloudEventV1<unknown>): Publication[] | "invalid" | "unsupported" {
    const type = event.type;
    if (!isEventType(type)) return this.reject("unsupported", `unknown event type ${type}`);
    const parsed = parseEventData(type as EventType, event.data);
    if (!parsed.ok) return this.reject("invalid", `${type} ${event.id}: ${parsed.reason}`);
    const data = parsed.data as Record<string, unknown>;
    if (type === "io.vvcu.twin.created" || type === "io.vvcu.twin.updated") {
      return this.state.applyTwin((data as { twin: Parameters<ProxyState["applyTwin"]>[0] }).twin);
    }
    if (type === "io.vvcu.twin.expired") {
      const expired = data as { id: string; mec: string };
      return this.state.expire(expired.id, expired.mec);
    }
    if (type.startsWith(MIGRATION_PREFIX) && type !== "io.vvcu.migration.requested") {
      const migration = (data as { migration: Parameters<ProxyState["applyMigration"]>[1] }).migration;
      return this.state.applyMigration(type.slice(MIGRATION_PREFIX.length) as MigrationEventType, migration);
    }
    return this.reject("unsupported", `the proxy does not take ${type}`);
  }

  private reject(outcome: "invalid" | "unsupported", detail: string): "invalid" | "unsupported" {
    this.warnOnce(outcome, () => this.log.warn({ detail }, "proxy event not used"));
    return outcome;
  }

  /** One promise per publication and one for them all, no async wrapper per publication: runs per event. */
  private publishAll(publications: Publication[]): Promise<void> {
    const sends: Promise<void>[] = [];
    for (const { topic, payload, retain, kind } of publications) {
      let published: Promise<void>;
      try {
        published = this.publisher.publish(topic, payload, { retain });
      } catch (error) {
        published = Promise.reject(error);
      }
      sends.push(
        published.then(
          () => {
            this.unreported.set(kind, (this.unreported.get(kind) ?? 0) + 1);
          },
          (error: unknown) => {
            this.warnOnce(`publish:${kind}`, () =>
              this.log.warn({ err: error, topic }, "dashboard publish failed"),
            );
          },
        ),
      );
    }
    const sending = Promise.all(sends).then(() => undefined);
    this.sending.add(sending);
    void sending.finally(() => this.sending.delete(sending));
    return sending;
  }
}
