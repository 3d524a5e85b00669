/**
 * Knative Triggers as data: which subscriber receives which events. The embedded router reads
 * knative/triggers.yaml through this module so embedded and cluster routing cannot drift apart.
 *
 * Matching follows Knative's `spec.filter.attributes`: every listed attribute must equal the
 * event's attribute exactly; an empty (or missing) filter matches every event.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { z } from "zod";

export const DEFAULT_TRIGGERS_PATH = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "knative",
  "triggers.yaml",
);

export interface TriggerRoute {
  /** metadata.name of the Trigger. */
  name: string;
  broker: string;
  /** Attribute name to the exact value it must have. */
  filter: Record<string, string>;
  /** Name of the subscribed Knative Service, e.g. `vvcu-twin`. */
  subscriber: string;
}

const TriggerSchema = z.object({
  kind: z.literal("Trigger"),
  metadata: z.object({ name: z.string().min(1) }),
  spec: z.object({
    broker: z.string().min(1),
    filter: z.object({ attributes: z.record(z.string(), z.string()).optional() }).optional(),
    subscriber: z.object({ ref: z.object({ name: z.string().min(1) }) }),
  }),
});

/**
 * Reads every Trigger of a multi-document YAML text; other kinds are skipped.
 * Throws one Error naming the file, the document and the problem.
 */
export function parseTriggers(text: string, fileName: string): TriggerRoute[] {
  const routes: TriggerRoute[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    if (document.errors.length > 0) {
      throw new Error(`${fileName}: document ${index + 1}: ${document.errors[0]?.message}`);
    }
    const value: unknown = document.toJS();
    if (value === null || typeof value !== "object" || (value as { kind?: unknown }).kind !== "Trigger")
      return;
    const parsed = TriggerSchema.safeParse(value);
    if (!parsed.success) {
      throw new Error(`${fileName}: document ${index + 1}: ${z.prettifyError(parsed.error)}`);
    }
    const { metadata, spec } = parsed.data;
    routes.push({
      name: metadata.name,
      broker: spec.broker,
      filter: spec.filter?.attributes ?? {},
      subscriber: spec.subscriber.ref.name,
    });
  });
  return routes;
}

export function loadTriggers(file: string = DEFAULT_TRIGGERS_PATH): TriggerRoute[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read triggers ${file}: ${(error as Error).message}`);
  }
  return parseTriggers(text, file);
}

export function triggerMatches(route: TriggerRoute, attributes: Record<string, unknown>): boolean {
  for (const [name, expected] of Object.entries(route.filter)) {
    if (attributes[name] !== expected) return false;
  }
  return true;
}

/** The Triggers an event matches, in file order: Knative delivers once per matching Trigger. */
export function matchingTriggers(
  routes: TriggerRoute[],
  attributes: Record<string, unknown>,
): TriggerRoute[] {
  return routes.filter((route) => triggerMatches(route, attributes));
}

/**
 * matchingTriggers with a memory: the Triggers an event matches depend only on the values of
 * the attributes some filter names (in practice `type`), so the answer is kept per combination
 * of those values and every later event with the same ones costs one map lookup. The memory is
 * bounded (a filter on an attribute with ever new values cannot grow it without end).
 */
export class TriggerMatcher {
  private readonly attributeNames: string[];
  private readonly known = new Map<string, readonly TriggerRoute[]>();

  constructor(
    private readonly routes: TriggerRoute[],
    private readonly maxRemembered = 1_024,
  ) {
    this.attributeNames = [...new Set(routes.flatMap((route) => Object.keys(route.filter)))].sort();
  }

  /** The Triggers `attributes` match, in file order; the array is shared: do not change it. */
  matching(attributes: Record<string, unknown>): readonly TriggerRoute[] {
    const key = this.keyOf(attributes);
    if (key === undefined) return matchingTriggers(this.routes, attributes);
    let found = this.known.get(key);
    if (found === undefined) {
      found = matchingTriggers(this.routes, attributes);
      if (this.known.size >= this.maxRemembered) this.known.clear();
      this.known.set(key, found);
    }
    return found;
  }

  /**
   * The filtered attributes' values as one key: with one filtered attribute (`type`, in
   * practice) its value as it is; undefined (not remembered) when a value is not a string,
   * which never equals a filter value and is rare.
   */
  private keyOf(attributes: Record<string, unknown>): string | undefined {
    if (this.attributeNames.length === 1) {
      const value = attributes[this.attributeNames[0] as string];
      return typeof value === "string" ? value : undefined;
    }
    let key = "";
    for (const name of this.attributeNames) {
      const value = attributes[name];
      if (typeof value !== "string") return undefined;
      // Lengths first, so no two value lists give the same key.
      key += `${value.length}:${value}`;
    }
    return key;
  }
}
