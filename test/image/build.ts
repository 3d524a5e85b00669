/**
 * The image built without Docker: the build context laid out exactly as .dockerignore leaves it,
 * each stage of the Dockerfile run in a directory of its own (COPY from the context or an earlier
 * stage, RUN with /bin/sh -c, WORKDIR, ENV), and the last stage's WORKDIR, ENV and ENTRYPOINT
 * given back. Only what a COPY put there is there, so an import of a file the image does not
 * contain fails as it would in the container. npm runs offline, from the machine's cache.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { copyOperands, DockerIgnore, envPairs, parseDockerfile, type Stage } from "./dockerfile.ts";

export interface BuiltImage {
  /** The last stage's WORKDIR on disk. */
  appDir: string;
  /** The last stage's ENV. */
  env: Record<string, string>;
  /** The ENTRYPOINT, exec form. */
  entrypoint: string[];
}

/** Instructions that change nothing on disk or in what runs here. */
const METADATA = new Set(["USER", "EXPOSE", "LABEL", "CMD", "ARG", "HEALTHCHECK", "STOPSIGNAL"]);

/** Every file of the context directory that .dockerignore leaves in, relative, with /. */
export async function contextFiles(contextDir: string, ignore = DockerIgnore.read(contextDir)) {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(contextDir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!ignore.excludes(child) || ignore.hasExceptions()) await walk(child);
      } else if (!ignore.excludes(child)) files.push(child);
    }
  };
  await walk("");
  return files;
}

export async function buildImage(
  contextDir: string,
  workDir: string,
  log: (line: string) => void = () => {},
): Promise<BuiltImage> {
  const stages = parseDockerfile(readFileSync(path.join(contextDir, "Dockerfile"), "utf8"));
  const context = await contextFiles(contextDir);
  const roots: string[] = [];
  let last: BuiltImage | undefined;
  for (const [index, stage] of stages.entries()) {
    const root = path.join(workDir, `stage-${index}`);
    roots.push(root);
    const rootOf = (from: string) => {
      const found = stages.findIndex((other, at) => other.name === from || String(at) === from);
      if (found < 0 || found >= index) throw new Error(`COPY --from=${from}: no earlier stage of that name`);
      return roots[found] as string;
    };
    last = await runStage(stage, { root, contextDir, context, rootOf, log });
  }
  if (last === undefined) throw new Error("the Dockerfile has no stage");
  return last;
}

interface StageInputs {
  root: string;
  contextDir: string;
  context: string[];
  rootOf: (stage: string) => string;
  log: (line: string) => void;
}

async function runStage(stage: Stage, inputs: StageInputs): Promise<BuiltImage> {
  const { root } = inputs;
  let workdir = "/";
  const env: Record<string, string> = {};
  let entrypoint: string[] = [];
  const onDisk = (containerPath: string) => path.join(root, path.posix.resolve(workdir, containerPath));
  for (const { keyword, args } of stage.instructions) {
    if (keyword === "WORKDIR") {
      workdir = path.posix.resolve(workdir, args);
      await mkdir(onDisk("."), { recursive: true });
    } else if (keyword === "ENV") Object.assign(env, envPairs(args));
    else if (keyword === "COPY") await copy(args, onDisk, inputs);
    else if (keyword === "RUN") await run(args, onDisk("."), env, inputs.log);
    else if (keyword === "ENTRYPOINT") {
      if (!args.startsWith("[")) throw new Error("ENTRYPOINT: only the exec form is run here");
      entrypoint = JSON.parse(args) as string[];
    } else if (!METADATA.has(keyword)) throw new Error(`Dockerfile: ${keyword} is not run here`);
  }
  return { appDir: onDisk("."), env, entrypoint };
}

async function copy(args: string, onDisk: (p: string) => string, inputs: StageInputs): Promise<void> {
  const { from, sources, destination } = copyOperands(args);
  const intoDirectory = destination.endsWith("/") || sources.length > 1;
  for (const source of sources) {
    if (/[*?[]/.test(source)) throw new Error(`COPY ${source}: wildcards are not run here`);
    const files =
      from === undefined ? filesInContext(source, inputs) : await filesInStage(source, from, inputs);
    for (const { absolute, below } of files) {
      const target =
        below === ""
          ? intoDirectory
            ? path.join(onDisk(destination), path.basename(source))
            : onDisk(destination)
          : path.join(onDisk(destination), below);
      await mkdir(path.dirname(target), { recursive: true });
      await cp(absolute, target, { recursive: true, verbatimSymlinks: true });
    }
  }
}

/** The context's files at `source` (a file, or a directory and what the context has below it). */
function filesInContext(source: string, { contextDir, context }: StageInputs) {
  const clean = path.posix.normalize(source).replace(/^\.\/?|\/$/g, "");
  const files = context
    .filter((file) => clean === "" || file === clean || file.startsWith(`${clean}/`))
    .map((file) => ({
      absolute: path.join(contextDir, file),
      below: file === clean ? "" : file.slice(clean === "" ? 0 : clean.length + 1),
    }));
  if (files.length === 0) {
    throw new Error(`COPY ${source}: not in the build context (missing, or left out by .dockerignore)`);
  }
  return files;
}

async function filesInStage(source: string, from: string, inputs: StageInputs) {
  const absolute = path.join(inputs.rootOf(from), source);
  if (!existsSync(absolute)) throw new Error(`COPY --from=${from} ${source}: the stage has no such path`);
  if ((await stat(absolute)).isFile()) return [{ absolute, below: "" }];
  const entries = await readdir(absolute);
  return entries.map((entry) => ({ absolute: path.join(absolute, entry), below: entry }));
}

/** One RUN, as /bin/sh -c, where its WORKDIR is; npm offline from the cache this machine has. */
function run(command: string, cwd: string, env: Record<string, string>, log: (line: string) => void) {
  log(`RUN ${command}`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", command], {
      cwd,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? cwd,
        npm_config_offline: "true",
        npm_config_update_notifier: "false",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`RUN ${command}\nexited with ${code}:\n${output}`));
    });
  });
}
