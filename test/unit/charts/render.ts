/**
 * A small stand-in for `helm template` (helm is not packaged for this machine): renders the
 * few template constructs charts/vvcu-twin uses and throws on anything else, which keeps the
 * chart's templates simple enough to be checked here.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";

export interface RenderContext {
  Values: Record<string, unknown>;
  Release: { Name: string; Namespace: string; Service: string };
  Chart: { Name: string; Version: string; AppVersion: string };
}

function lookup(context: RenderContext, reference: string): unknown {
  if (!reference.startsWith(".")) throw new Error(`unsupported template argument '${reference}'`);
  let value: unknown = context;
  for (const key of reference.slice(1).split(".")) {
    if (value === null || typeof value !== "object" || !(key in value)) {
      throw new Error(`template references ${reference}, which is not set`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function asText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Error(`cannot print ${JSON.stringify(value)} in a template`);
}

function evaluate(expression: string, context: RenderContext): string {
  const stages = expression.split("|").map((stage) => stage.trim());
  const [head, ...pipes] = stages;
  if (head === undefined) throw new Error("empty template action");
  let value: unknown;
  const toJson = /^toJson (\S+)$/.exec(head);
  const toYaml = /^toYaml (\S+)$/.exec(head);
  if (toJson?.[1] !== undefined) {
    value = JSON.stringify(lookup(context, toJson[1]));
  } else if (toYaml?.[1] !== undefined) {
    value = YAML.stringify(lookup(context, toYaml[1])).trimEnd();
  } else {
    value = lookup(context, head);
  }
  let text = asText(value);
  for (const pipe of pipes) {
    const nindent = /^nindent (\d+)$/.exec(pipe);
    if (pipe === "quote") text = JSON.stringify(text);
    else if (nindent?.[1] !== undefined) {
      const pad = " ".repeat(Number(nindent[1]));
      text = `\n${text
        .split("\n")
        .map((line) => pad + line)
        .join("\n")}`;
    } else throw new Error(`unsupported template function '${pipe}'`);
  }
  return text;
}

export function renderTemplate(source: string, context: RenderContext): string {
  return source.replace(
    /(\s*)\{\{(-?)\s*(.*?)\s*(-?)\}\}/g,
    (_match, before: string, trimLeft: string, body: string, trimRight: string) => {
      if (trimRight) throw new Error("'-}}' is not supported here");
      return (trimLeft ? "" : before) + evaluate(body, context);
    },
  );
}

/** Renders every template of a chart; returns the parsed documents in file-name order. */
export function renderChart(chartDir: string, values: Record<string, unknown>, releaseName: string) {
  const chart = YAML.parse(readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as {
    name: string;
    version: string;
    appVersion: string;
  };
  const context: RenderContext = {
    Values: values,
    Release: { Name: releaseName, Namespace: "default", Service: "Helm" },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const templatesDir = path.join(chartDir, "templates");
  const files = readdirSync(templatesDir)
    .filter((file) => file.endsWith(".yaml"))
    .sort();
  return files.flatMap((file) => {
    const rendered = renderTemplate(readFileSync(path.join(templatesDir, file), "utf8"), context);
    return YAML.parseAllDocuments(rendered).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
      return document.toJS() as Record<string, unknown>;
    });
  });
}
