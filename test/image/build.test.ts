/**
 * The image builder without Docker (build.ts, dockerfile.ts) on small contexts: .dockerignore as
 * Docker applies it, and a build that fails on an import of a file the context leaves out.
 * (The image itself: npm run test:image.)
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildImage, contextFiles } from "./build.ts";
import { copyOperands, DockerIgnore, parseDockerfile } from "./dockerfile.ts";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function context(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-context-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const DOCKERFILE = `ARG BASE=node:20
FROM \${BASE} AS build
WORKDIR /app
COPY src src
# the build step
RUN node src/main.js \\
 > out.txt
FROM \${BASE}
WORKDIR /app
COPY --from=build /app/out.txt ./out.txt
ENV NODE_ENV=production PORT=8080
USER 1000:1000
ENTRYPOINT ["node", "-e", "1"]
`;

describe(".dockerignore", () => {
  const ignore = new DockerIgnore("# comment\ntest\n*.log\n**/*.tmp\nosm/build\n!keep.log\n");

  it.each([
    ["test/unit/a.test.ts", true],
    ["tests/a.ts", false],
    ["a.log", true],
    ["keep.log", false],
    ["logs/a.log", false],
    ["deep/down/x.tmp", true],
    ["x.tmp", true],
    ["osm/build/pkg.tar.gz", true],
    ["osm/vvcu_twin_ns/nsd.yaml", false],
  ])("%s excluded: %s", (file, excluded) => {
    expect(ignore.excludes(file)).toBe(excluded);
  });
});

describe("Dockerfile", () => {
  it("reads stages with continuations joined and comments dropped", () => {
    const [build, runtime] = parseDockerfile(DOCKERFILE);
    expect(build?.name).toBe("build");
    expect(build?.instructions.map((each) => each.keyword)).toEqual(["WORKDIR", "COPY", "RUN"]);
    expect(build?.instructions[2]?.args).toBe("node src/main.js   > out.txt");
    expect(runtime?.name).toBeUndefined();
    expect(copyOperands("--from=build /app/dist ./dist")).toEqual({
      from: "build",
      sources: ["/app/dist"],
      destination: "./dist",
    });
    expect(() => copyOperands("--chown=1000 a b")).toThrow(/--chown=1000/);
  });
});

describe("buildImage", () => {
  const sources = {
    Dockerfile: DOCKERFILE,
    "src/main.js": 'require("./helper.js"); console.log("built");\n',
    "src/helper.js": "module.exports = {};\n",
    "notes.md": "not copied\n",
  };

  it("runs each stage from only what the context holds, and gives back the last one", async () => {
    const dir = await context({ ...sources, ".dockerignore": "notes.md\n" });
    expect((await contextFiles(dir)).sort()).toEqual([
      ".dockerignore",
      "Dockerfile",
      "src/helper.js",
      "src/main.js",
    ]);
    const image = await buildImage(dir, path.join(dir, ".build"));
    expect(await readFile(path.join(image.appDir, "out.txt"), "utf8")).toBe("built\n");
    expect(image.env).toEqual({ NODE_ENV: "production", PORT: "8080" });
    expect(image.entrypoint).toEqual(["node", "-e", "1"]);
  });

  it("fails on an import of a file .dockerignore leaves out of the context", async () => {
    const dir = await context({ ...sources, ".dockerignore": "src/helper.js\n" });
    await expect(buildImage(dir, path.join(dir, ".build"))).rejects.toThrow(
      /RUN node src\/main\.js[\s\S]*exited with 1[\s\S]*Cannot find module '\.\/helper\.js'/,
    );
  });

  it("fails on a COPY of a path the context does not hold", async () => {
    const dir = await context({ ...sources, ".dockerignore": "src\n" });
    await expect(buildImage(dir, path.join(dir, ".build"))).rejects.toThrow(
      "COPY src: not in the build context (missing, or left out by .dockerignore)",
    );
  });
});
