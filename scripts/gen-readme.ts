/**
 * Regenerates the README's generated sections from their one source each:
 * configuration (functions/lib/config.ts), metrics (functions/lib/metrics.ts),
 * dashboard topics (functions/lib/topics.ts) and performance (a `vvcu bench` table).
 *
 *   npx tsx scripts/gen-readme.ts [--bench bench-results/bench.md] [--check]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigSchema } from "../functions/lib/config.ts";
import { metrics } from "../functions/lib/metrics.ts";
import { DEFAULT_DEADLETTER_TOPIC, DEFAULT_INPUT_TOPICS, dashboardTopics } from "../functions/lib/topics.ts";

type Section = "config" | "metrics" | "topics" | "performance";

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

function replaceSection(readme: string, section: Section, body: string): string {
  const begin = `<!-- generated:${section} -->`;
  const end = `<!-- /generated:${section} -->`;
  const start = readme.indexOf(begin);
  const stop = readme.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`README.md has no ${begin} ... ${end} markers`);
  return `${readme.slice(0, start + begin.length)}\n${body.trim()}\n${readme.slice(stop)}`;
}

export function generateReadme(readme: string, benchMarkdown?: string): string {
  let next = replaceSection(readme, "config", configTable());
  next = replaceSection(next, "metrics", metricsTable());
  next = replaceSection(next, "topics", topicsList());
  if (benchMarkdown !== undefined) next = replaceSection(next, "performance", benchMarkdown);
  return next;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { bench: { type: "string" }, check: { type: "boolean", default: false } },
  });
  const readme = readFileSync("README.md", "utf8");
  const bench = values.bench && existsSync(values.bench) ? readFileSync(values.bench, "utf8") : undefined;
  const next = generateReadme(readme, bench);
  if (values.check) {
    if (next !== readme) {
      console.error("README.md is out of date: run npm run readme");
      process.exitCode = 1;
    }
  } else {
    writeFileSync("README.md", next);
  }
}
