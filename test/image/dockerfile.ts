/**
 * The Dockerfile and .dockerignore as the builder reads them, for building the image's stages
 * without Docker (test/image/build.ts): stages of instructions (continuations joined, comments
 * dropped, ARG defaults substituted) and the ignore patterns with Docker's matching rules.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

export interface Instruction {
  keyword: string;
  /** The text after the keyword, with line continuations joined. */
  args: string;
}

export interface Stage {
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === "ARG" && stages.length === 0) {
      const [name = "", value = ""] = rest.split("=");
      args.set(name, value);
      continue;
    }
    if (instruction.keyword === "FROM") {
      const [, , name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ name, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`Dockerfile: ${keyword} before the first FROM`);
    stage.instructions.push(instruction);
  }
  return stages;
}

/** The operands of a COPY: `--from=stage`, the sources and the destination. */
export function copyOperands(args: string): { from?: string; sources: string[]; destination: string } {
  const words = args.startsWith("[") ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith("--"));
  const unknown = flags.filter((flag) => !flag.startsWith("--from="));
  if (unknown.length > 0) throw new Error(`COPY ${args}: flags not supported here: ${unknown.join(" ")}`);
  const operands = words.filter((word) => !word.startsWith("--"));
  const destination = operands.pop();
  if (destination === undefined || operands.length === 0) throw new Error(`COPY ${args}: no source`);
  return { from: flags[0]?.slice("--from=".length), sources: operands, destination };
}

/** `KEY=value KEY2=value2` of an ENV instruction. */
export function envPairs(args: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const [, key, value] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
    pairs[key as string] = (value as string).replace(/^"|"$/g, "");
  }
  return pairs;
}

/**
 * .dockerignore as Docker's builder applies it: each pattern (path.Match syntax plus `**`) is
 * matched against the path relative to the context root, and a match excludes a directory with
 * everything below it; a later `!pattern` takes a path back in.
 */
export class DockerIgnore {
  private readonly rules: { exclude: boolean; pattern: RegExp }[];

  constructor(text: string) {
    this.rules = text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const exclude = !line.startsWith("!");
        const pattern = path.posix.normalize((exclude ? line : line.slice(1)).trim()).replace(/^\/+/, "");
        return { exclude, pattern: DockerIgnore.toRegExp(pattern) };
      });
  }

  static read(contextDir: string): DockerIgnore {
    try {
      return new DockerIgnore(readFileSync(path.join(contextDir, ".dockerignore"), "utf8"));
    } catch {
      return new DockerIgnore("");
    }
  }

  /** Whether the path (relative, with /) is left out of the context. */
  excludes(relative: string): boolean {
    const parts = relative.split("/");
    let excluded = false;
    for (const rule of this.rules) {
      // A pattern matching a parent directory covers what is below it.
      const matches = parts.some((_, index) => rule.pattern.test(parts.slice(0, index + 1).join("/")));
      if (matches) excluded = rule.exclude;
    }
    return excluded;
  }

  /** Whether some `!` rule might take back a path below this excluded directory. */
  hasExceptions(): boolean {
    return this.rules.some((rule) => !rule.exclude);
  }

  private static toRegExp(pattern: string): RegExp {
    let source = "";
    for (let index = 0; index < pattern.length; index++) {
      const char = pattern[index] as string;
      if (char === "*" && pattern[index + 1] === "*") {
        index++;
        if (pattern[index + 1] === "/") {
          source += "(?:.*/)?";
          index++;
        } else source += ".*";
      } else if (char === "*") source += "[^/]*";
      else if (char === "?") source += "[^/]";
      else if (char === "[") {
        const close = pattern.indexOf("]", index);
        source += pattern.slice(index, close + 1).replace(/^\[!/, "[^");
        index = close;
      } else source += char.replace(/[.+^${}()|\\]/g, "\\$&");
    }
    return new RegExp(`^${source}$`);
  }
}
