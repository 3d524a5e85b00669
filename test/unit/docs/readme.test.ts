import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { METRIC_NAMES } from "../../../functions/lib/metrics.ts";
import { generateReadme } from "../../../scripts/gen-readme.ts";

describe("README", () => {
  const readme = readFileSync("README.md", "utf8");

  it("has its generated sections up to date (npm run readme)", () => {
    expect(generateReadme(readme)).toBe(readme);
  });

  it("documents every metric and shows the two commands", () => {
    for (const name of METRIC_NAMES) expect(readme).toContain(`\`${name}\``);
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm test");
  });
});
