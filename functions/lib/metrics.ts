/**
 * Every Prometheus metric vvcu exports, in one place, under the `vvcu_` prefix with units
 * in the names. Components import the metric objects from here; the README and the
 * dashboards' test read METRIC_NAMES.
 */
import client from "prom-client";

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: "vvcu_process_" });

const latencyBucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const migrationBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Updates run right before a metric is read (a scrape, or `get()`), by metric name: a hot path
 * keeps plain numbers and hands them over here, as prom-client hashes the label set on every
 * inc() or set(), bound with labels() or not.
 */
const beforeRead = new Map<string, Set<() => void>>();

/** Runs `update` before each read of the metric; returns the function that stops it. */
export function beforeMetricRead(metric: object, update: () => void): () => void {
  // prom-client keeps the name on the object but leaves it out of its types (as METRIC_NAMES below).
  const name = (metric as { name: string }).name;
  let updates = beforeRead.get(name);
  if (updates === undefined) {
    updates = new Set();
    beforeRead.set(name, updates);
  }
  updates.add(update);
  return () => updates.delete(update);
}

function runBeforeRead(name: string): void {
  for (const update of beforeRead.get(name) ?? []) update();
}

export const metrics = {
  bridgeReceived: new client.Counter({
    name: "vvcu_bridge_messages_received_total",
    help: "MQTT messages the bridge received",
    labelNames: ["mec", "type"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_bridge_messages_received_total"),
  }),
  bridgeForwarded: new client.Counter({
    name: "vvcu_bridge_messages_forwarded_total",
    help: "CloudEvents the bridge delivered to its sink",
    labelNames: ["mec", "type"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_bridge_messages_forwarded_total"),
  }),
  bridgeFiltered: new client.Counter({
    name: "vvcu_bridge_messages_filtered_total",
    help: "Messages of stations this MEC does not host, not forwarded",
    labelNames: ["mec"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_bridge_messages_filtered_total"),
  }),
  bridgeRejected: new client.Counter({
    name: "vvcu_bridge_messages_rejected_total",
    help: "Input rejected to the dead-letter topic, by reason code",
    labelNames: ["mec", "reason"] as const,
    registers: [registry],
  }),
  bridgePartsDropped: new client.Counter({
    name: "vvcu_bridge_message_parts_dropped_total",
    help: "Parts of forwarded messages the decoder left out (malformed, unknown or unused), by code; vvcu decode --explain shows which",
    labelNames: ["mec", "code"] as const,
    registers: [registry],
  }),
  bridgeRetries: new client.Counter({
    name: "vvcu_bridge_delivery_retries_total",
    help: "Delivery attempts retried after a network error, 429 or 5xx",
    labelNames: ["mec"] as const,
    registers: [registry],
  }),
  bridgeQueueDepth: new client.Gauge({
    name: "vvcu_bridge_queue_depth_messages",
    help: "Messages waiting for delivery",
    labelNames: ["mec"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_bridge_queue_depth_messages"),
  }),
  bridgeDeliverySeconds: new client.Histogram({
    name: "vvcu_bridge_delivery_latency_seconds",
    help: "From MQTT receipt to the sink's acknowledgement",
    labelNames: ["mec"] as const,
    buckets: latencyBucketsSeconds,
    registers: [registry],
  }),
  twinEventsApplied: new client.Counter({
    name: "vvcu_twin_events_applied_total",
    help: "C-ITS events applied to twins",
    labelNames: ["mec", "type"] as const,
    registers: [registry],
  }),
  twinEventsParked: new client.Counter({
    name: "vvcu_twin_events_parked_total",
    help: "C-ITS events kept for a twin arriving by migration; its host applies them when it hydrates",
    labelNames: ["mec", "type"] as const,
    registers: [registry],
  }),
  twinEventsIgnored: new client.Counter({
    name: "vvcu_twin_events_ignored_total",
    help: "Events not applied: duplicate id or older than the twin's state",
    labelNames: ["mec", "reason"] as const,
    registers: [registry],
  }),
  twins: new client.Gauge({
    name: "vvcu_twins",
    help: "Twins hosted, by MEC and status",
    labelNames: ["mec", "status"] as const,
    registers: [registry],
  }),
  migrations: new client.Counter({
    name: "vvcu_migrations_total",
    help: "Migrations finished, by result and driver",
    labelNames: ["result", "driver", "trigger"] as const,
    registers: [registry],
  }),
  migrationReadySeconds: new client.Histogram({
    name: "vvcu_migration_time_until_ready_seconds",
    help: "Time until the twin is ready at the target (steps 1 to 3)",
    labelNames: ["driver"] as const,
    buckets: migrationBucketsSeconds,
    registers: [registry],
  }),
  migrationDoneSeconds: new client.Histogram({
    name: "vvcu_migration_time_until_done_seconds",
    help: "Time until the source is released (steps 1 to 5)",
    labelNames: ["driver"] as const,
    buckets: migrationBucketsSeconds,
    registers: [registry],
  }),
  lastMigrationReadySeconds: new client.Gauge({
    name: "vvcu_twin_last_migration_time_until_ready_seconds",
    help: "Time until ready of each twin's last migration",
    labelNames: ["twin"] as const,
    registers: [registry],
  }),
  lastMigrationDoneSeconds: new client.Gauge({
    name: "vvcu_twin_last_migration_time_until_done_seconds",
    help: "Time until done of each twin's last migration",
    labelNames: ["twin"] as const,
    registers: [registry],
  }),
  orchestratorCallSeconds: new client.Histogram({
    name: "vvcu_orchestrator_call_duration_seconds",
    help: "Calls to OSM's NBI or the Kubernetes API",
    labelNames: ["driver", "operation", "outcome"] as const,
    buckets: latencyBucketsSeconds,
    registers: [registry],
  }),
  proxyPublished: new client.Counter({
    name: "vvcu_proxy_messages_published_total",
    help: "Dashboard messages the proxy published",
    labelNames: ["kind"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_proxy_messages_published_total"),
  }),
  routerDeliveries: new client.Counter({
    name: "vvcu_router_deliveries_total",
    help: "Embedded broker deliveries to functions, by outcome (delivered, failed, timeout, no-subscriber)",
    labelNames: ["mec", "subscriber", "outcome"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_router_deliveries_total"),
  }),
  routerQueueDepth: new client.Gauge({
    name: "vvcu_router_queue_depth_events",
    help: "Events accepted by the embedded broker and not yet delivered",
    labelNames: ["mec"] as const,
    registers: [registry],
    collect: () => runBeforeRead("vvcu_router_queue_depth_events"),
  }),
  apiRequests: new client.Counter({
    name: "vvcu_api_requests_total",
    help: "Manager API requests by route and status code",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  }),
};

export const METRIC_NAMES: string[] = Object.values(metrics).map(
  (metric) => (metric as unknown as { name: string }).name,
);
