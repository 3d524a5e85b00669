/**
 * The console in the image's layout: compiled modules under dist/, the page's sources copied
 * beside them by the Dockerfile, node_modules at the root, no tsconfig.json at the top.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { transform } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import type { consoleRoutes } from "../../../functions/lib/console/routes.ts";
import { ROOT } from "../../unit/manifests/kube.ts";

describe("console in the image", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("bundles the page from the sources the Dockerfile copies beside the compiled modules", async () => {
    const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
    const copy = /cp -r (functions\/lib\/console\/page) (dist\/functions\/lib\/console\/)/.exec(dockerfile);
    expect(copy, "the Dockerfile copies the page's sources into dist").not.toBeNull();
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-image-console-"));
    await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const target = path.join(dir, copy?.[2] as string);
    await mkdir(target, { recursive: true });
    execFileSync("cp", ["-r", path.join(ROOT, copy?.[1] as string), target]);
    // routes.ts as tsc compiles it: its only relative imports are types, which go.
    const source = readFileSync(path.join(ROOT, "functions/lib/console/routes.ts"), "utf8");
    const { code } = await transform(source, { loader: "ts", format: "esm" });
    const compiled = path.join(target, "routes.js");
    await writeFile(compiled, code);

    const routes = (
      (await import(pathToFileURL(compiled).href)) as { consoleRoutes: typeof consoleRoutes }
    ).consoleRoutes();
    const reply = async (name: string) => {
      const route = routes.find((r) => r.name === name);
      return route?.handle([], { url: name } as never, new URL(name, "http://manager.invalid"));
    };
    const app = await reply("/console/app.js");
    expect(app?.status).toBe(200);
    expect(String(app?.body)).toMatch(/leaflet/i);
    expect(String((await reply("/"))?.body)).toContain('src="console/app.js"');
    expect(String((await reply("/console/leaflet.css"))?.body)).toContain(".leaflet-container");
  }, 30_000);
});
