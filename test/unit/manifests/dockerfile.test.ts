import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort, waitForPort } from "../../helpers/servers.ts";
import { ROOT } from "./kube.ts";

const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((line) => line.trim() && !line.trim().startsWith("#"))
  .map((line) => {
    const [keyword = "", ...rest] = line.trim().split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(" ") };
  });
const stages = instructions.filter((instruction) => instruction.keyword === "FROM");
const lastStageStart = instructions.lastIndexOf(stages[stages.length - 1] as (typeof instructions)[number]);
const runtime = instructions.slice(lastStageStart);
const entrypoint = JSON.parse(
  runtime.find((instruction) => instruction.keyword === "ENTRYPOINT")?.args ?? "[]",
) as string[];

describe("Dockerfile", () => {
  it("is multi-stage, with a slim runtime that runs as a numeric non-root user", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20-[a-z]+-slim/);
    const user = runtime.filter((instruction) => instruction.keyword === "USER").at(-1)?.args ?? "";
    // runAsNonRoot in the manifests can only verify a numeric uid.
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it("copies only paths that exist and that .dockerignore does not exclude", () => {
    const ignored = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    const copies = instructions.filter(
      (instruction) => instruction.keyword === "COPY" && !instruction.args.includes("--from"),
    );
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(path.join(ROOT, source)), `${source} does not exist`).toBe(true);
        expect(ignored, `${source} is excluded by .dockerignore`).not.toContain(source.split("/")[0]);
      }
    }
    expect(ignored).toEqual(expect.arrayContaining([".git", "node_modules", ".env"]));
  });

  it("compiles to the layout the entrypoint serves: functions/NAME/index.ts -> dist/functions/NAME/index.js", () => {
    const build = JSON.parse(readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8")) as {
      compilerOptions: { outDir: string; rootDir: string; rewriteRelativeImportExtensions?: boolean };
    };
    expect(build.compilerOptions).toMatchObject({
      outDir: "dist",
      rootDir: ".",
      rewriteRelativeImportExtensions: true,
    });
    const sourceFlag = ["--source=", '"dist/functions/', "$", '{FUNCTION_TARGET}/index.js"'].join("");
    expect(entrypoint.join(" ")).toContain(sourceFlag);
    const bridge = parse(readFileSync(path.join(ROOT, "knative", "bridge.yaml"), "utf8")) as {
      spec: { template: { spec: { containers: { command: string[] }[] } } };
    };
    expect(bridge.spec.template.spec.containers[0]?.command).toEqual(["node", "dist/cli/main.js", "bridge"]);
    expect(existsSync(path.join(ROOT, "cli", "main.ts"))).toBe(true);
  });

  describe("its entrypoint, run as the image runs it", () => {
    let dir = "";
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function runEntrypoint(
      env: Record<string, string>,
    ): Promise<{ code: number | null; output: string }> {
      const child = spawn(entrypoint[0] as string, entrypoint.slice(1), {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", ...env },
      });
      let output = "";
      child.stdout.on("data", (chunk) => {
        output += chunk;
      });
      child.stderr.on("data", (chunk) => {
        output += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      if (!env.PORT) return { code: await exited, output };
      try {
        await waitForPort(Number(env.PORT), 15_000);
        const controller = AbortSignal.timeout(5000);
        const answer = await fetch(`http://127.0.0.1:${env.PORT}/`, { signal: controller });
        output = await answer.text();
      } finally {
        child.kill("SIGTERM");
        await exited;
      }
      return { code: 0, output };
    }

    it("serves the function named by FUNCTION_TARGET with functions-framework", async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-image-"));
      await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
      await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
      await mkdir(path.join(dir, "dist", "functions", "probe"), { recursive: true });
      await writeFile(
        path.join(dir, "dist", "functions", "probe", "index.js"),
        'import * as functions from "@google-cloud/functions-framework";\n' +
          'functions.http("probe", (_req, res) => { res.send("probe served"); });\n',
      );
      const port = await freePort();
      const { output } = await runEntrypoint({ FUNCTION_TARGET: "probe", PORT: String(port) });
      expect(output).toBe("probe served");
    });

    it("refuses to start without FUNCTION_TARGET, saying what to set", async () => {
      const { code, output } = await runEntrypoint({});
      expect(code).not.toBe(0);
      expect(output).toContain("set FUNCTION_TARGET");
      const targets = readdirSync(path.join(ROOT, "functions")).filter((name) =>
        existsSync(path.join(ROOT, "functions", name, "index.ts")),
      );
      expect(targets).toContain("twin-cnf");
      const hint = /set FUNCTION_TARGET to ([^\n}]+)/.exec(output)?.[1] ?? "";
      const named = hint.split(/,\s*|\s+or\s+/).map((name) => name.trim());
      expect(named.sort(), "the hint names every functions/NAME/index.ts").toEqual(targets.sort());
    });
  });
});
