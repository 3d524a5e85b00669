import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseTopology } from "../../../functions/lib/topology.ts";
import { ROOT, renderChart, validateObject } from "../manifests/kube.ts";

const SCRIPTS = ["kind-up", "kind-down"].map((name) => path.join(ROOT, "scripts", name));
const [KIND_UP, KIND_DOWN] = SCRIPTS as [string, string];

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(file, args, { encoding: "utf8", env, timeout: 60_000 });
}

function which(tool: string): string {
  const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error(`${tool} is not installed (.ci/run installs it)`);
  return found;
}

describe("scripts/kind-up and scripts/kind-down", () => {
  let sandbox = "";
  beforeAll(async () => {
    sandbox = await mkdtemp(path.join(os.tmpdir(), "vvcu-kind-"));
  });
  afterAll(async () => {
    await rm(sandbox, { recursive: true, force: true });
  });

  it("pass shellcheck", () => {
    const result = run(which("shellcheck"), ["--severity=style", ...SCRIPTS]);
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("are strict bash scripts", () => {
    for (const script of SCRIPTS) {
      const text = readFileSync(script, "utf8");
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      expect(text).toContain("set -euo pipefail");
    }
  });

  it("answer --help with their usage and exit 0, and refuse unknown options", () => {
    for (const script of SCRIPTS) {
      const help = run(script, ["--help"]);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: scripts/${path.basename(script)}`));
      expect(help.stdout).toContain("mec-a");
      const wrong = run(script, ["--frobnicate"]);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain("unknown option '--frobnicate'");
    }
  });

  it("name every missing prerequisite before doing anything", async () => {
    // A PATH with bash and dirname (the scripts need them to start) and a docker stand-in, nothing else.
    const bin = path.join(sandbox, "bin");
    await rm(bin, { recursive: true, force: true });
    await mkdir(bin);
    for (const tool of ["bash", "dirname"]) await symlink(which(tool), path.join(bin, tool));
    await writeFile(path.join(bin, "docker"), "#!/bin/sh\nexit 0\n");
    await chmod(path.join(bin, "docker"), 0o755);
    const env = { PATH: bin, HOME: sandbox, VVCU_KIND_DIR: path.join(sandbox, "state") };
    const up = run(KIND_UP, [], env);
    expect(up.status).toBe(1);
    expect(up.stderr).toContain("missing: kind kn kubectl helm node curl");
    const down = run(KIND_DOWN, [], env);
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("missing: kind");
  });

  it("write Helm values per MEC that fit the chart's schema and give the functions a valid topology", () => {
    const dir = path.join(sandbox, "values");
    const result = run(KIND_UP, ["--values-only"], {
      ...process.env,
      VVCU_KIND_DIR: dir,
      VVCU_NAMESPACE: "vvcu",
    });
    expect(result.status, result.stderr).toBe(0);
    const chart = path.join(ROOT, "charts", "vvcu-mec");
    const schema = JSON.parse(readFileSync(path.join(chart, "values.schema.json"), "utf8")) as object;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const defaults = parse(readFileSync(path.join(chart, "values.yaml"), "utf8")) as Record<string, unknown>;
    for (const mec of ["mec-a", "mec-b"]) {
      const values = JSON.parse(readFileSync(path.join(dir, `values-${mec}.json`), "utf8")) as Record<
        string,
        unknown
      >;
      const merged = { ...defaults, ...values, kubeconfigSecret: "vvcu-kubeconfig" };
      expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
      const { objects } = renderChart(chart, merged, { name: "vvcu", namespace: "vvcu" });
      for (const object of objects) validateObject(object);
      const configMap = objects.find((object) => object.metadata.name === "vvcu-topology");
      const topology = parseTopology(configMap?.data["topology.yaml"], `values-${mec}.json`);
      expect(topology.mecs[0]?.id).toBe(mec);
      expect(topology.mecs.map((each) => each.kubernetes)).toEqual(
        topology.mecs.map((each) => ({ context: each.id, namespace: "vvcu" })),
      );
      expect(topology.mecs.map((each) => each.id).sort()).toEqual(["mec-a", "mec-b"]);
    }
  });
});
