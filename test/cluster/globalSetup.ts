/**
 * Builds the image once for every cluster test file of the run, as test/image does: the build
 * context as .dockerignore leaves it, the Dockerfile's stages run without Docker.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { type BuiltImage, buildImage } from "../image/build.ts";
import { repoRoot } from "./image.ts";

declare module "vitest" {
  export interface ProvidedContext {
    image: BuiltImage;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // For working on the tests: VVCU_CLUSTER_IMAGE_DIR keeps the built image and reuses it.
  const kept = process.env.VVCU_CLUSTER_IMAGE_DIR;
  if (kept) {
    const record = path.join(kept, "image.json");
    if (!existsSync(record)) {
      await mkdir(kept, { recursive: true });
      await writeFile(record, JSON.stringify(await buildImage(repoRoot, kept)));
    }
    project.provide("image", JSON.parse(readFileSync(record, "utf8")) as BuiltImage);
    return async () => {};
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-image-"));
  project.provide("image", await buildImage(repoRoot, dir));
  return () => rm(dir, { recursive: true, force: true });
}
