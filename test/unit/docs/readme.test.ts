import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { METRIC_NAMES } from "../../../functions/lib/metrics.ts";
import {
  generateOperations,
  generatePerformance,
  generateReadme,
  OPERATIONS_PATH,
  PERFORMANCE_PATH,
  README_PATH,
  sectionOf,
} from "../../../scripts/gen-readme.ts";

describe("README", () => {
  const readme = readFileSync(README_PATH, "utf8");

  it("has its generated sections up to date (npm run readme)", () => {
    expect(generateReadme(readme)).toBe(readme);
  });

  it("shows the two commands", () => {
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm test");
  });

  it("leaves the benchmark table to docs/performance.md", () => {
    expect(sectionOf(readme, "performance")).toBeUndefined();
  });
});

describe("docs/operations.md", () => {
  const doc = readFileSync(OPERATIONS_PATH, "utf8");

  it("has its metrics table up to date (npm run readme) and documents every metric", () => {
    expect(generateOperations(doc)).toBe(doc);
    for (const name of METRIC_NAMES) expect(sectionOf(doc, "metrics")).toContain(`\`${name}\``);
  });
});

describe("docs/performance.md", () => {
  const doc = readFileSync(PERFORMANCE_PATH, "utf8");
  const table = sectionOf(doc, "performance");

  it("holds one full bench run's table between its generated markers", () => {
    expect(table).toMatch(/^Measured \d{4}-\d{2}-\d{2} on .+\.\n\n\| benchmark \| figure \| measured \|/);
    expect(table).not.toContain("(--quick)");
  });

  it("takes a new bench.md in place of the old table and changes nothing else", () => {
    const bench =
      "Measured 2027-01-02 on 2 x CPU, 4 GiB, Node v20.0.0, linux 6.\n\n| benchmark | figure | measured |\n|---|---|---|\n| zones | lookups | 1 |\n";
    const next = generatePerformance(doc, bench);
    expect(sectionOf(next, "performance")).toBe(bench.trim());
    expect(next.slice(0, next.indexOf("<!-- generated:performance -->"))).toBe(
      doc.slice(0, doc.indexOf("<!-- generated:performance -->")),
    );
    expect(generatePerformance(doc, `${table}\n`)).toBe(doc);
  });

  it("refuses a --quick run's table and text that is not a bench table", () => {
    const quick = "Measured 2027-01-02 on 2 x CPU, 4 GiB (--quick).\n\n| benchmark | figure |\n";
    expect(() => generatePerformance(doc, quick)).toThrow(/--quick/);
    expect(() => generatePerformance(doc, "hello")).toThrow(/not a vvcu bench table/);
  });
});
