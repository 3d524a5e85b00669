/** Compiles the image's /app once for every cluster test file of the run. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { buildApp } from "./image.ts";

declare module "vitest" {
  export interface ProvidedContext {
    app: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // For working on the tests: an /app built before (buildApp) and left in place.
  const prebuilt = process.env.VVCU_CLUSTER_APP;
  if (prebuilt) {
    project.provide("app", prebuilt);
    return async () => {};
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-image-"));
  project.provide("app", await buildApp(dir));
  return () => rm(dir, { recursive: true, force: true });
}
