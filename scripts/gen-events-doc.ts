/**
 * Generates docs/events.md, the event catalog for users, from functions/lib/events.ts (types,
 * descriptions, producers, extensions, data schemas) and knative/triggers.yaml (consumers).
 * `npm run docs:events` writes it; `--check` exits 1 when the file is out of date.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import {
  EVENT_CATALOG,
  EVENT_EXTENSIONS,
  EVENT_TYPE_PREFIX,
  EVENT_TYPES,
  type EventType,
  EXTENSIONS,
  eventSource,
} from "../functions/lib/events.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
export const EVENTS_DOC_PATH = path.join(ROOT, "docs", "events.md");
const EVENTS_MODULE_PATH = path.join(ROOT, "functions", "lib", "events.ts");
export const TRIGGERS_PATH = path.join(ROOT, "knative", "triggers.yaml");

/** A JSON Schema node as z.toJSONSchema writes it (only the keywords the table shows). */
interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  format?: string;
  description?: string;
}

interface FieldRow {
  field: string;
  type: string;
  required: boolean;
}

/** Event type -> the Knative services its Triggers deliver it to. */
export function consumersByType(triggersYaml: string): Map<string, string[]> {
  const consumers = new Map<string, string[]>();
  for (const document of parseAllDocuments(triggersYaml)) {
    if (!("toJS" in document)) continue;
    const trigger = document.toJS() as {
      spec?: { filter?: { attributes?: { type?: string } }; subscriber?: { ref?: { name?: string } } };
    } | null;
    const type = trigger?.spec?.filter?.attributes?.type;
    const service = trigger?.spec?.subscriber?.ref?.name;
    if (type === undefined || service === undefined) continue;
    consumers.set(type, [...(consumers.get(type) ?? []), service]);
  }
  return consumers;
}

/** The doc comment of each EXTENSIONS key, read from the events module's source. */
function extensionDescriptions(source: string): Map<string, string> {
  const block = source.slice(source.indexOf("export const EXTENSIONS"));
  const descriptions = new Map<string, string>();
  for (const match of block.matchAll(/\/\*\*\s*([\s\S]*?)\s*\*\/\s*(\w+):/g)) {
    const key = match[2] as string;
    if (key in EXTENSIONS && !descriptions.has(key)) {
      descriptions.set(key, (match[1] as string).replace(/\s*\n\s*\*\s*/g, " "));
    }
  }
  return descriptions;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace(/^#\/\$defs\//, "");
  return root.$defs?.[name] ?? schema;
}

function typeText(schema: JsonSchema, root: JsonSchema): string {
  const node = resolve(schema, root);
  const variants = node.anyOf ?? node.oneOf;
  if (variants) return variants.map((variant) => typeText(variant, root)).join(" \\| ");
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(", ");
  let text = Array.isArray(node.type) ? node.type.join(" \\| ") : (node.type ?? "any");
  if (node.type === "array" && node.items) text = `array of ${typeText(node.items, root)}`;
  if (node.format) text += ` (${node.format})`;
  const bounds = [
    node.minimum === undefined ? undefined : `>= ${node.minimum}`,
    node.maximum === undefined ? undefined : `<= ${node.maximum}`,
    node.minLength === undefined ? undefined : `length >= ${node.minLength}`,
  ].filter((bound) => bound !== undefined);
  return bounds.length > 0 ? `${text}, ${bounds.join(", ")}` : text;
}

/** One row per field, nested objects and array items flattened into dotted paths. */
function fieldRows(schema: JsonSchema, root: JsonSchema, prefix = "", depth = 0): FieldRow[] {
  const node = resolve(schema, root);
  const rows: FieldRow[] = [];
  if (depth > 8) return rows;
  for (const [name, property] of Object.entries(node.properties ?? {})) {
    const field = `${prefix}${name}`;
    const child = resolve(property, root);
    const required = node.required?.includes(name) ?? false;
    if (child.properties) {
      rows.push({ field, type: "object", required });
      rows.push(...fieldRows(child, root, `${field}.`, depth + 1));
    } else if (child.type === "array" && child.items && resolve(child.items, root).properties) {
      rows.push({ field, type: "array of objects", required });
      rows.push(...fieldRows(child.items, root, `${field}[].`, depth + 1));
    } else if (child.type === "object" && typeof child.additionalProperties === "object") {
      rows.push({ field, type: `map of ${typeText(child.additionalProperties, root)}`, required });
    } else {
      rows.push({ field, type: typeText(child, root), required });
    }
  }
  return rows;
}

function dataSchemaOf(type: EventType): JsonSchema {
  return z.toJSONSchema(EVENT_CATALOG[type].data, { io: "output", unrepresentable: "any" }) as JsonSchema;
}

export function renderEventsDoc(
  eventsSource: string = readFileSync(EVENTS_MODULE_PATH, "utf8"),
  triggersYaml: string = readFileSync(TRIGGERS_PATH, "utf8"),
): string {
  const consumers = consumersByType(triggersYaml);
  const extensionText = extensionDescriptions(eventsSource);
  const producersOf = (type: EventType) => EVENT_CATALOG[type].producer.split(",").map((name) => name.trim());
  const lines: string[] = [
    "# vvcu events",
    "",
    "<!-- Generated from functions/lib/events.ts and knative/triggers.yaml by `npm run docs:events`. Do not edit. -->",
    "",
    `Every event vvcu emits or consumes is a [CloudEvent](https://cloudevents.io) 1.0 with JSON \`data\`.`,
    `Types are reverse-DNS under \`${EVENT_TYPE_PREFIX}\`; \`source\` is \`${eventSource("<mec>", "<component>")}\`;`,
    "`subject` is the station id (the twin's id); `time` is when it happened. Knative Triggers route by `type`.",
    "",
    "## Extension attributes",
    "",
    "| attribute | name in code | meaning |",
    "|---|---|---|",
    ...Object.entries(EXTENSIONS).map(
      ([key, attribute]) => `| \`${attribute}\` | \`EXTENSIONS.${key}\` | ${extensionText.get(key) ?? ""} |`,
    ),
    "",
    "## Event types",
    "",
    "| type | producer | consumers (Knative Triggers) | description |",
    "|---|---|---|---|",
    ...EVENT_TYPES.map(
      (type) =>
        `| [\`${type}\`](#${type.replaceAll(".", "")}) | ${producersOf(type).join(", ")} | ${(consumers.get(type) ?? []).join(", ") || "none"} | ${EVENT_CATALOG[type].description} |`,
    ),
  ];
  for (const type of EVENT_TYPES) {
    const entry = EVENT_CATALOG[type];
    lines.push(
      "",
      `### ${type}`,
      "",
      entry.description,
      "",
      `- source: ${producersOf(type)
        .map((producer) => `\`${eventSource("<mec>", producer)}\``)
        .join(", ")}`,
      "- subject: the station id",
      `- extensions: ${EVENT_EXTENSIONS[type].map((key) => `\`${EXTENSIONS[key]}\``).join(", ")}`,
      `- delivered to: ${(consumers.get(type) ?? []).join(", ") || "no Trigger (observed only)"}`,
      "",
      "| data field | type | required |",
      "|---|---|---|",
      ...fieldRows(dataSchemaOf(type), dataSchemaOf(type)).map(
        (row) => `| \`${row.field}\` | ${row.type} | ${row.required ? "yes" : "no"} |`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

function main(argv: string[]): number {
  const rendered = renderEventsDoc();
  if (argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(EVENTS_DOC_PATH, "utf8");
    } catch {
      // A missing file is simply out of date.
    }
    if (current === rendered) return 0;
    console.error(`${path.relative(ROOT, EVENTS_DOC_PATH)} is out of date: run npm run docs:events`);
    return 1;
  }
  writeFileSync(EVENTS_DOC_PATH, rendered);
  console.log(`wrote ${path.relative(ROOT, EVENTS_DOC_PATH)}`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
