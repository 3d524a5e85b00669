/**
 * What a dashboard refers to (MQTT topics and the fields its panels read, Prometheus metrics) and the
 * check of those references against what the proxy really publishes and what metrics.ts exports.
 */
import type { CloudEventV1 } from "cloudevents";
import { MESSAGE_TYPES } from "../../../functions/lib/cits/types.ts";
import { openApiDocument } from "../../../functions/lib/manager/openapi.ts";
import { METRIC_NAMES } from "../../../functions/lib/metrics.ts";
import { type Migration, MigrationSchema } from "../../../functions/lib/model/migration.ts";
import { type Twin, TwinSchema } from "../../../functions/lib/model/twin.ts";
import { CollectingPublisher } from "../../../functions/lib/proxy/publisher.ts";
import { ProxyService } from "../../../functions/lib/proxy/service.ts";
import { dashboardTopics, SYSTEM_DASHBOARD_TOPICS, topicMatches } from "../../../functions/lib/topics.ts";

// biome-ignore lint/suspicious/noExplicitAny: dashboard JSON is read as data and checked field by field
type Json = any;

/** Topic filters a dashboard may subscribe to: the system topics and the per-twin ones (`+` or `$twin`). */
export const ALLOWED_TOPICS: string[] = [
  ...SYSTEM_DASHBOARD_TOPICS,
  dashboardTopics.twin("+"),
  dashboardTopics.twinObjects("+"),
  dashboardTopics.twinMigration("+"),
];

/** `$twin` (the Twin dashboard's variable) stands for any one twin id, like `+`. */
export function asFilter(topic: string): string {
  return topic.replaceAll("$twin", "+");
}

export { topicMatches };

function twin(id: string, mec: string, speed: number, objects: number): Twin {
  return TwinSchema.parse({
    id,
    stationType: "passengerCar",
    mec,
    status: "stable",
    liveness: "live",
    position: { lat: 40.65, lon: -8.65 },
    speed,
    heading: 90,
    lastSeen: "2026-01-01T00:00:01.000Z",
    createdAt: "2026-01-01T00:00:00.000Z",
    messages: Object.fromEntries(MESSAGE_TYPES.map((type) => [type, 1])),
    messageRates: Object.fromEntries(MESSAGE_TYPES.map((type) => [type, 1])),
    trajectory: [],
    distanceM: 100,
    averageSpeed: speed,
    maxSpeed: speed,
    perceivedObjects: Array.from({ length: objects }, (_, index) => ({
      objectId: index,
      lat: 40.651,
      lon: -8.651,
      speed: 1,
    })),
    hazards: [],
    network: { throughputBps: 1000, rssiDbm: -70 },
    neighbours: [{ id: "other", distanceM: 10, relativeSpeed: 1 }],
    sequence: 1,
    version: 1,
  });
}

function migration(status: Migration["status"], step: Migration["step"], twinId = "1001"): Migration {
  return MigrationSchema.parse({
    id: `m-${twinId}`,
    twin: twinId,
    from: "mec-a",
    to: "mec-b",
    trigger: "manual",
    reason: "manual",
    status,
    step,
    driver: "local",
    requestedAt: "2026-01-01T00:00:02.000Z",
    timeUntilReadyMs: 120,
    ...(status === "completed" ? { timeUntilDoneMs: 180, finishedAt: "2026-01-01T00:00:03.000Z" } : {}),
    ...(status === "failed"
      ? { error: "target not ready in time", finishedAt: "2026-01-01T00:00:04.000Z" }
      : {}),
  });
}

function event(type: string, data: unknown, index: number): CloudEventV1<unknown> {
  return { specversion: "1.0", id: `e-${index}`, source: "/vvcu/test", type, data };
}

/** Feeds the real ProxyService realistic events and returns each published topic with the fields it carried. */
export async function publishedFields(): Promise<Map<string, Set<string>>> {
  const publisher = new CollectingPublisher();
  const proxy = new ProxyService({
    publisher,
    mecs: ["mec-a", "mec-b"],
    clock: () => Date.parse("2026-01-01T00:01:00Z"),
  });
  const events = [
    event("io.vvcu.twin.created", { twin: twin("1001", "mec-a", 10, 2) }, 1),
    event("io.vvcu.twin.updated", { twin: twin("1002", "mec-b", 20, 1) }, 2),
    event("io.vvcu.migration.started", { migration: migration("running", "reserved") }, 3),
    event("io.vvcu.migration.completed", { migration: migration("completed", "done") }, 4),
    event("io.vvcu.migration.failed", { migration: migration("failed", "placed", "1002") }, 5),
  ];
  for (const each of events) {
    const outcome = await proxy.handle(each);
    if (outcome !== "published") throw new Error(`the proxy did not publish ${each.type}: ${outcome}`);
  }
  await proxy.stop();
  const fields = new Map<string, Set<string>>();
  for (const { topic, payload } of publisher.messages) {
    const set = fields.get(topic) ?? new Set<string>();
    for (const item of Array.isArray(payload) ? payload : [payload]) {
      if (item && typeof item === "object") for (const key of Object.keys(item)) set.add(key);
    }
    fields.set(topic, set);
  }
  return fields;
}

/** The names of metrics in a PromQL expression (histogram series map to their histogram). */
export function metricsIn(expr: string): string[] {
  const names = expr.match(/\bvvcu_[a-z0-9_]+/g) ?? [];
  return names.map((name) => {
    const base = name.replace(/_(bucket|sum|count)$/, "");
    return METRIC_NAMES.includes(base) ? base : name;
  });
}

export function prometheusExpressions(dashboard: Json): string[] {
  return (dashboard.panels as Json[]).flatMap((panel) =>
    ((panel.targets ?? []) as Json[])
      .filter((target) => typeof target.expr === "string")
      .map((target) => target.expr),
  );
}

/** Every reference of the dashboard that the proxy or metrics.ts does not back, as readable problems. */
export function dashboardProblems(dashboard: Json, published: Map<string, Set<string>>): string[] {
  const problems: string[] = [];
  const fieldsOf = (filter: string): Set<string> => {
    const union = new Set<string>();
    for (const [topic, fields] of published) {
      if (topicMatches(filter, topic)) for (const field of fields) union.add(field);
    }
    return union;
  };
  for (const panel of dashboard.panels as Json[]) {
    const where = `${dashboard.uid} panel "${panel.title}"`;
    const targets = (panel.targets ?? []) as Json[];
    const mqttTargets = targets.filter((target) => typeof target.topic === "string");
    const available = new Set<string>();
    const byRefId = new Map<string, Set<string>>();
    for (const target of targets.filter(
      (each) => each.datasource?.type === "yesoreyeram-infinity-datasource",
    )) {
      const fields = apiTargetFields(target, (problem) => problems.push(`${where}: ${problem}`));
      byRefId.set(target.refId, fields);
      for (const field of fields) available.add(field);
    }
    for (const target of mqttTargets) {
      const filter = asFilter(target.topic);
      if (!ALLOWED_TOPICS.includes(filter))
        problems.push(`${where}: topic ${target.topic} is not a dashboard topic`);
      const fields = fieldsOf(filter);
      if (fields.size === 0) problems.push(`${where}: the proxy publishes nothing on ${target.topic}`);
      byRefId.set(target.refId, fields);
      for (const field of fields) available.add(field);
    }
    for (const transformation of (panel.transformations ?? []) as Json[]) {
      if (transformation.id !== "filterFieldsByName") continue;
      for (const name of (transformation.options.include?.names ?? []) as string[]) {
        if (!available.has(name)) problems.push(`${where}: field ${name} is not published on its topics`);
      }
      const pattern = transformation.options.include?.pattern as string | undefined;
      if (pattern && ![...available].some((field) => new RegExp(pattern).test(field))) {
        problems.push(`${where}: no published field matches ${pattern}`);
      }
    }
    for (const layer of (panel.options?.layers ?? []) as Json[]) {
      const fields = byRefId.get(layer.filterData?.options) ?? new Set<string>();
      for (const name of [layer.location?.latitude, layer.location?.longitude]) {
        if (!fields.has(name))
          problems.push(`${where}: map layer "${layer.name}" places by ${name}, not published`);
      }
    }
    for (const target of targets.filter((each) => typeof each.expr === "string")) {
      for (const metric of metricsIn(target.expr)) {
        if (!METRIC_NAMES.includes(metric)) problems.push(`${where}: metric ${metric} is not in metrics.ts`);
      }
    }
  }
  return problems;
}

const API = openApiDocument("dashboards");

/** The schema a $ref points at, or the schema itself. */
function resolved(schema: Json): Json {
  const ref = schema?.$ref as string | undefined;
  return ref ? (API.components?.schemas?.[ref.split("/").at(-1) as string] ?? {}) : schema;
}

/** The schema at a dotted path of properties (`position.lat`), or undefined. */
function schemaAt(schema: Json, path: string): Json | undefined {
  let current = resolved(schema);
  for (const part of path.split(".")) {
    current = current?.properties?.[part];
    if (current === undefined) return undefined;
    current = resolved(current);
  }
  return current;
}

/**
 * The fields an Infinity query of the manager API gives its panel (its columns' names), checking
 * against the OpenAPI document that the path, its parameters, the rows and every column exist.
 */
export function apiTargetFields(target: Json, problem: (text: string) => void): Set<string> {
  const path = String(target.url).replaceAll("$twin", "{id}");
  const operation = (API.paths[path] as Json)?.get;
  if (!operation) {
    problem(`GET ${target.url} is not in the manager API`);
    return new Set();
  }
  const known = new Set((operation.parameters ?? []).map((parameter: Json) => parameter.name));
  for (const { key } of (target.url_options?.params ?? []) as Json[]) {
    if (!known.has(key)) problem(`GET ${target.url} has no query parameter ${key}`);
  }
  const rows = schemaAt(
    operation.responses?.["200"]?.content?.["application/json"]?.schema,
    target.root_selector,
  );
  const row = resolved(rows?.items);
  if (!row) problem(`GET ${target.url} answers no list at ${target.root_selector}`);
  const fields = new Set<string>();
  for (const column of (target.columns ?? []) as Json[]) {
    if (row && !schemaAt(row, column.selector)) problem(`GET ${target.url} rows have no ${column.selector}`);
    fields.add(column.text);
  }
  for (const column of (target.computed_columns ?? []) as Json[]) fields.add(column.text);
  return fields;
}
