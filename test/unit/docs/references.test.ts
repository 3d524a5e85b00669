/**
 * The docs point only at what is in the repository: every relative link resolves to a file (and
 * its anchor to a heading), every repository path they name in backticks exists, and no file
 * cites the design document that lives outside the repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const DOCS = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...listed("docs/*.md")];
/** Top-level folders of the repository: a backticked word starting with one of them is a path. */
const ROOTS = [
  "functions/",
  "bridges/",
  "cli/",
  "bin/",
  "scripts/",
  "test/",
  "knative/",
  "charts/",
  "osm/",
  "grafana/",
  "docs/",
  ".ci/",
];
/** Paths that commands create: named in the docs, absent from a clean checkout. */
const CREATED = ["osm/build/"];

function listed(pattern: string): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", pattern], {
    encoding: "utf8",
  })
    .split("\n")
    .filter((file) => file !== "");
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchors(markdown: string): Set<string> {
  const headings = [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] ?? ""));
  return new Set(headings);
}

/** Markdown without its fenced code blocks (shell examples hold paths that need not exist). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

describe.each(DOCS)("%s", (doc) => {
  const text = readFileSync(doc, "utf8");

  it("links only to files and headings in the repository", () => {
    const broken: string[] = [];
    for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^[a-z]+:/.test(target)) continue;
      const [file = "", anchor] = target.split("#");
      const resolved = file === "" ? doc : path.normalize(path.join(path.dirname(doc), file));
      if (resolved.startsWith("..") || !existsSync(resolved)) broken.push(target);
      else if (anchor !== undefined && !anchors(readFileSync(resolved, "utf8")).has(anchor))
        broken.push(target);
    }
    expect(broken).toEqual([]);
  });

  it("names only repository paths that exist", () => {
    const missing: string[] = [];
    for (const [, word] of prose(text).matchAll(/`([^`\s]+)`/g)) {
      if (word === undefined || !ROOTS.some((root) => word.startsWith(root))) continue;
      if (/[<{*]/.test(word) || CREATED.some((prefix) => word.startsWith(prefix))) continue;
      if (!existsSync(word.replace(/\/$/, ""))) missing.push(word);
    }
    expect(missing).toEqual([]);
  });
});

describe("the repository", () => {
  it("cites no design document from outside it", () => {
    const outside = ["DESIGN", ".md"].join("");
    const citing = listed(".").filter(
      (file) => existsSync(file) && !file.endsWith(".json") && readFileSync(file, "utf8").includes(outside),
    );
    expect(citing).toEqual([]);
  });
});

describe("docs/architecture.md glossary", () => {
  const text = readFileSync("docs/architecture.md", "utf8");
  const glossary = text.slice(text.indexOf("## Glossary"));
  const source = ["functions", "bridges", "cli"]
    .flatMap((folder) => listed(`${folder}/**/*.ts`))
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");

  it("names only code that exists", () => {
    const rows = glossary.split("\n").filter((line) => line.startsWith("| ") && !line.startsWith("| word"));
    expect(rows.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const row of rows) {
      const inCode = row.split("|")[3] ?? "";
      for (const [, name] of inCode.matchAll(/`([^`]+)`/g)) {
        const word = (name ?? "").split("=")[0] ?? "";
        if (!source.includes(word)) missing.push(word);
      }
    }
    expect(missing).toEqual([]);
  });
});
