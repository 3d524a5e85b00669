/**
 * A small renderer for the subset of Helm's Go templates our charts use, so the tests can render
 * charts/vvcu-mec where helm is not installed (Debian does not package it). Anything outside the
 * subset throws, which keeps the templates simple enough for this to stay honest:
 * - actions `{{ pipeline }}` with `{{-`/`-}}` whitespace trimming and `{{/* comments *\/}}`
 * - `if`/`else`/`end` and `range`/`end` (dot becomes the element)
 * - pipelines of a value or a function call, then `| fn`: quote, toJson, toYaml, indent N, nindent N, default X
 * - values: `.Values.a.b`, `.Release.Name`/`.Release.Namespace`, `.Chart.Name`/`.Chart.Version`, `.`, `$.x`,
 *   `.Files.Get "path"`, string and number literals
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";

export interface RenderContext {
  chartDir: string;
  values: unknown;
  release: { name: string; namespace: string };
  chart: { name: string; version: string; appVersion?: string };
}

type Node =
  | { kind: "text"; text: string }
  | { kind: "output"; pipeline: string }
  | { kind: "if"; pipeline: string; whenTrue: Node[]; otherwise: Node[] }
  | { kind: "range"; pipeline: string; body: Node[] };

type Token = { kind: "text"; text: string } | { kind: "action"; body: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let rest = source;
  let trimNextText = false;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    let text = open === -1 ? rest : rest.slice(0, open);
    if (trimNextText) text = text.replace(/^\s+/, "");
    if (open === -1) {
      tokens.push({ kind: "text", text });
      break;
    }
    const close = rest.indexOf("}}", open);
    if (close === -1) throw new Error("unclosed {{");
    let body = rest.slice(open + 2, close);
    if (body.startsWith("-")) {
      text = text.replace(/\s+$/, "");
      body = body.slice(1);
    }
    trimNextText = body.endsWith("-");
    if (trimNextText) body = body.slice(0, -1);
    tokens.push({ kind: "text", text });
    tokens.push({ kind: "action", body: body.trim() });
    rest = rest.slice(close + 2);
  }
  return tokens;
}

function parse(tokens: Token[]): Node[] {
  let position = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (position < tokens.length) {
      const token = tokens[position++] as Token;
      if (token.kind === "text") {
        if (token.text) nodes.push({ kind: "text", text: token.text });
        continue;
      }
      const body = token.body;
      if (body.startsWith("/*")) continue;
      if (terminators.includes(body)) return { nodes, end: body };
      if (body.startsWith("if ")) {
        const then = block(["else", "end"]);
        const otherwise = then.end === "else" ? block(["end"]).nodes : [];
        nodes.push({ kind: "if", pipeline: body.slice(3), whenTrue: then.nodes, otherwise });
      } else if (body.startsWith("range ")) {
        nodes.push({ kind: "range", pipeline: body.slice(6), body: block(["end"]).nodes });
      } else if (/^(else|end|with|define|template|include|block)\b/.test(body)) {
        throw new Error(`unsupported template action {{ ${body} }}`);
      } else {
        nodes.push({ kind: "output", pipeline: body });
      }
    }
    if (terminators.length > 0) throw new Error(`missing {{ ${terminators.join(" or ")} }}`);
    return { nodes, end: "" };
  };
  return block([]).nodes;
}

/** Splits on spaces and pipes outside double quotes. */
function words(text: string): string[] {
  return text.match(/"(?:[^"\\]|\\.)*"|[^\s]+/g) ?? [];
}

function lookup(start: unknown, dotted: string): unknown {
  let current = start;
  for (const key of dotted.split(".").filter(Boolean)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function goString(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object")
    throw new Error(`cannot print an object without toJson/toYaml: ${JSON.stringify(value)}`);
  return String(value);
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

function indentLines(text: string, width: number): string {
  const pad = " ".repeat(width);
  return text
    .split("\n")
    .map((line) => pad + line)
    .join("\n");
}

class Renderer {
  constructor(private readonly root: Record<string, unknown>) {}

  private argument(word: string, dot: unknown): unknown {
    if (word.startsWith('"')) return JSON.parse(word) as string;
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
    if (word === ".") return dot;
    if (word.startsWith("$.")) return lookup(this.root, word.slice(2));
    if (word.startsWith(".")) return lookup(dot, word.slice(1));
    throw new Error(`unsupported argument '${word}'`);
  }

  private call(name: string, args: unknown[], piped: unknown[]): unknown {
    const all = [...args, ...piped];
    switch (name) {
      case "quote":
        return JSON.stringify(goString(all[0]));
      case "toJson":
        return JSON.stringify(all[0] ?? null);
      case "toYaml":
        return stringify(all[0] ?? null).trimEnd();
      case "indent":
        return indentLines(goString(all[1]), Number(all[0]));
      case "nindent":
        return `\n${indentLines(goString(all[1]), Number(all[0]))}`;
      case "default":
        return truthy(all[1]) ? all[1] : all[0];
      default:
        throw new Error(`unsupported template function '${name}'`);
    }
  }

  evaluate(pipeline: string, dot: unknown): unknown {
    const stages = pipeline.split(/\s\|\s/).map((stage) => words(stage.trim()));
    let value: unknown;
    stages.forEach((stage, index) => {
      const [head, ...rest] = stage;
      if (head === undefined) throw new Error(`empty pipeline stage in '${pipeline}'`);
      if (head === ".Files.Get" || head === "$.Files.Get") {
        const file = this.argument(rest[0] ?? "", dot);
        value = readFileSync(path.join(this.root.chartDir as string, String(file)), "utf8");
      } else if (head.startsWith(".") || head.startsWith("$") || head.startsWith('"')) {
        if (index > 0 || rest.length > 0) throw new Error(`unsupported pipeline '${pipeline}'`);
        value = this.argument(head, dot);
      } else {
        const args = rest.map((word) => this.argument(word, dot));
        value = this.call(head, args, index > 0 ? [value] : []);
      }
    });
    return value;
  }

  render(nodes: Node[], dot: unknown): string {
    let out = "";
    for (const node of nodes) {
      if (node.kind === "text") out += node.text;
      else if (node.kind === "output") out += goString(this.evaluate(node.pipeline, dot));
      else if (node.kind === "if")
        out += this.render(truthy(this.evaluate(node.pipeline, dot)) ? node.whenTrue : node.otherwise, dot);
      else {
        const items = this.evaluate(node.pipeline, dot);
        if (items === undefined || items === null) continue;
        if (!Array.isArray(items)) throw new Error(`range over a non-list in '${node.pipeline}'`);
        for (const item of items) out += this.render(node.body, item);
      }
    }
    return out;
  }
}

/** Renders one template text the way `helm template` would for the subset above. */
export function renderTemplate(source: string, context: RenderContext): string {
  const root = {
    chartDir: context.chartDir,
    Values: context.values,
    Release: { Name: context.release.name, Namespace: context.release.namespace, Service: "Helm" },
    Chart: {
      Name: context.chart.name,
      Version: context.chart.version,
      AppVersion: context.chart.appVersion ?? context.chart.version,
    },
    Files: {},
  };
  return new Renderer(root).render(parse(tokenize(source)), root);
}
