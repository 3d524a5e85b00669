/**
 * Regenerates the docs' generated sections from their one source each: in README.md the
 * configuration (functions/lib/config.ts) and MQTT topics (functions/lib/topics.ts); in
 * docs/operations.md the metrics (functions/lib/metrics.ts); in docs/performance.md the table of a
 * full `vvcu bench` run.
 *
 *   npx tsx scripts/gen-readme.ts [--bench bench-results/bench.md] [--check]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigSchema } from "../functions/lib/config.ts";
import { metrics } from "../functions/lib/metrics.ts";
import { DEFAULT_DEADLETTER_TOPIC, DEFAULT_INPUT_TOPICS, dashboardTopics } from "../functions/lib/topics.ts";

type Section = "config" | "metrics" | "topics" | "performance";

export const README_PATH = "README.md";
export const PERFORMANCE_PATH = "docs/performance.md";
export const OPERATIONS_PATH = "docs/operations.md";

function configTable(): string {
  const rows = ["| variable | meaning | default |", "|---|---|---|"];
  for (const [name, schema] of Object.entries(ConfigSchema.shape)) {
    const parsedDefault = schema.safeParse(undefined);
    const defaultValue = parsedDefault.success ? parsedDefault.data : undefined;
    const description = schema.description ?? "";
    const fallback = defaultValue === undefined ? "" : `\`${String(defaultValue)}\``;
    rows.push(`| \`${name}\` | ${description} | ${fallback} |`);
  }
  return rows.join("\n");
}

function metricsTable(): string {
  const rows = ["| metric | type | labels | meaning |", "|---|---|---|---|"];
  for (const metric of Object.values(metrics)) {
    const shape = metric as unknown as {
      name: string;
      help: string;
      labelNames: string[];
      constructor: { name: string };
    };
    rows.push(
      `| \`${shape.name}\` | ${shape.constructor.name.toLowerCase()} | ${shape.labelNames.join(", ")} | ${shape.help} |`,
    );
  }
  rows.push("| `vvcu_process_*` | (default) | | Node.js process metrics (CPU, memory, event loop lag) |");
  return rows.join("\n");
}

function topicsList(): string {
  const lines = [
    `Input (subscribed by the bridge by default): ${DEFAULT_INPUT_TOPICS.map((t) => `\`${t}\``).join(", ")}.`,
    `Rejected input: \`${DEFAULT_DEADLETTER_TOPIC}\` (\`VVCU_DEADLETTER_TOPIC\`).`,
    "",
    "Dashboard topics (published by the proxy for Grafana's MQTT data source):",
    "",
  ];
  for (const [name, topic] of Object.entries(dashboardTopics)) {
    const text = typeof topic === "function" ? topic("{twinId}") : topic;
    lines.push(`- \`${text}\` (${name})`);
  }
  return lines.join("\n");
}

function markers(section: Section): { begin: string; end: string } {
  return { begin: `<!-- generated:${section} -->`, end: `<!-- /generated:${section} -->` };
}

function replaceSection(document: string, file: string, section: Section, body: string): string {
  const { begin, end } = markers(section);
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${file} has no ${begin} ... ${end} markers`);
  return `${document.slice(0, start + begin.length)}\n${body.trim()}\n${document.slice(stop)}`;
}

/** The text between a section's markers (undefined when the markers are missing). */
export function sectionOf(document: string, section: Section): string | undefined {
  const { begin, end } = markers(section);
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  return start < 0 || stop < start ? undefined : document.slice(start + begin.length, stop).trim();
}

export function generateReadme(readme: string): string {
  const next = replaceSection(readme, README_PATH, "config", configTable());
  return replaceSection(next, README_PATH, "topics", topicsList());
}

export function generateOperations(operationsDoc: string): string {
  return replaceSection(operationsDoc, OPERATIONS_PATH, "metrics", metricsTable());
}

/**
 * docs/performance.md with the table of one `vvcu bench` run (its bench.md). Only a full run
 * describes the system: a --quick run's table is refused.
 */
export function generatePerformance(performanceDoc: string, benchMarkdown: string): string {
  if (
    !/^Measured \d{4}-\d{2}-\d{2} on .+\.$/m.test(benchMarkdown) ||
    !benchMarkdown.includes("| benchmark |")
  ) {
    throw new Error("not a vvcu bench table: expected the bench.md that `vvcu bench` writes");
  }
  if (benchMarkdown.includes("(--quick)")) {
    throw new Error("a --quick run's table: docs/performance.md shows a full run (npm run bench)");
  }
  return replaceSection(performanceDoc, PERFORMANCE_PATH, "performance", benchMarkdown);
}

function main(): void {
  const { values } = parseArgs({
    options: { bench: { type: "string" }, check: { type: "boolean", default: false } },
  });
  const generated = [
    { path: README_PATH, generate: generateReadme },
    { path: OPERATIONS_PATH, generate: generateOperations },
  ].map(({ path, generate }) => {
    const current = readFileSync(path, "utf8");
    return { path, current, next: generate(current) };
  });
  if (values.check) {
    for (const { path, current, next } of generated) {
      if (next === current) continue;
      console.error(`${path} is out of date: run npm run readme`);
      process.exitCode = 1;
    }
    return;
  }
  // The bench table is read and checked before anything is written, so a bad one changes nothing.
  let performance: string | undefined;
  if (values.bench !== undefined) {
    if (!existsSync(values.bench))
      throw new Error(`--bench ${values.bench}: no such file (run npm run bench first)`);
    performance = generatePerformance(
      readFileSync(PERFORMANCE_PATH, "utf8"),
      readFileSync(values.bench, "utf8"),
    );
  }
  for (const { path, next } of generated) writeFileSync(path, next);
  if (performance !== undefined) writeFileSync(PERFORMANCE_PATH, performance);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main();
  } catch (error) {
    console.error(`gen-readme: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
