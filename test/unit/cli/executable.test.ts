import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, STACK_NODE_FLAGS, shebangNodeFlags } from "../../e2e/harness.ts";

const repoRoot = path.dirname(path.dirname(CLI));

describe("the vvcu executable's Node flags", () => {
  it("are read from its shebang, with or without env -S", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "vvcu-shebang-"));
    const file = (name: string, firstLine: string) => {
      const at = path.join(dir, name);
      writeFileSync(at, `${firstLine}\nconsole.log(1);\n`);
      return at;
    };
    expect(
      shebangNodeFlags(file("a.js", "#!/usr/bin/env -S node --max-semi-space-size=64 --trace-gc")),
    ).toEqual(["--max-semi-space-size=64", "--trace-gc"]);
    expect(shebangNodeFlags(file("b.js", "#!/usr/bin/env node"))).toEqual([]);
    expect(() => shebangNodeFlags(file("c.js", "#!/bin/sh"))).toThrow(/does not run node/);
  });

  it("give the stack a 64 MiB young generation, and npm start runs the executable so that they apply", () => {
    expect(STACK_NODE_FLAGS).toEqual(["--max-semi-space-size=64"]);
    const scripts = (
      JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    expect(scripts.start).toBe("./bin/vvcu.js start");
  });

  it("runs as an executable with those flags", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "vvcu-flags-"));
    const report = path.join(dir, "report.cjs");
    writeFileSync(report, "process.stdout.write(JSON.stringify(process.execArgv) + '\\n');\n");
    const run = spawnSync(CLI, ["--help"], {
      env: { ...process.env, NODE_OPTIONS: `--require ${report}` },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.split("\n", 1)[0] as string)).toEqual(STACK_NODE_FLAGS);
  });
});
