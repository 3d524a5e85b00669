import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readManifest } from "../../../scripts/derive-conformance-expected.ts";
import { CONFORMANCE_DOC_PATH, renderConformanceDoc } from "../../../scripts/gen-conformance-doc.ts";

describe("docs/conformance.md", () => {
  const doc = readFileSync(CONFORMANCE_DOC_PATH, "utf8");

  it("is up to date with the corpus and the decoder (npm run docs:conformance)", () => {
    expect(doc).toBe(renderConformanceDoc());
  });

  it("names every source and every file of the corpus", () => {
    const manifest = readManifest();
    for (const [name, source] of Object.entries(manifest.sources)) {
      expect(doc).toContain(`| ${name} |`);
      expect(doc).toContain(source.repository);
    }
    for (const entry of manifest.files) expect(doc).toContain(`\`${entry.file}\``);
  });
});
