/**
 * What the image runs, without Docker: the build stage's output (`npm run build` into dist/, the
 * data files beside the compiled modules, package.json and node_modules) in a directory, and
 * processes started there with the Dockerfile's ENTRYPOINT (functions) or the bridge
 * ContainerSource's command (knative/bridge.yaml), each with its own environment and log file.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { cp, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The directories tsconfig.build.json compiles: their data files go beside the compiled modules. */
function buildIncludes(): string[] {
  const tsconfig = JSON.parse(readFileSync(path.join(repoRoot, "tsconfig.build.json"), "utf8")) as {
    include: string[];
  };
  return tsconfig.include;
}

async function dataFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(repoRoot, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/.test(entry.name))
    .map((entry) => path.relative(repoRoot, path.join(entry.parentPath, entry.name)));
}

/** Compiles once into `dir` as the Dockerfile's build stage does; returns `dir` (the image's /app). */
export async function buildApp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await promisify(execFile)("npm", ["run", "build", "--", "--outDir", path.join(dir, "dist")], {
    cwd: repoRoot,
    timeout: 300_000,
  });
  const files = [...(await Promise.all(buildIncludes().map(dataFiles))).flat(), "knative/triggers.yaml"];
  for (const file of files) await cp(path.join(repoRoot, file), path.join(dir, "dist", file));
  await cp(path.join(repoRoot, "package.json"), path.join(dir, "package.json"));
  await symlink(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** The Dockerfile's ENTRYPOINT (exec form) and its ENV defaults. */
export function imageEntrypoint(): { command: string[]; env: Record<string, string> } {
  const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(runtime)?.[1];
  if (!entrypoint) throw new Error("the Dockerfile's runtime stage has no exec-form ENTRYPOINT");
  const env: Record<string, string> = {};
  for (const line of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of (line[1] ?? "").matchAll(/(\w+)=(\S+)/g)) env[pair[1] as string] = pair[2] as string;
  }
  return { command: JSON.parse(entrypoint) as string[], env };
}

/** The bridge container's command in knative/bridge.yaml. */
export function bridgeCommand(): string[] {
  const text = readFileSync(path.join(repoRoot, "knative", "bridge.yaml"), "utf8");
  const source = parseAllDocuments(text)
    .map((document) => document.toJS() as { kind?: string; spec?: Record<string, unknown> })
    .find((manifest) => manifest.kind === "ContainerSource");
  const containers = (source?.spec?.template as { spec: { containers: { command: string[] }[] } } | undefined)
    ?.spec.containers;
  const command = containers?.[0]?.command;
  if (!command) throw new Error("knative/bridge.yaml has no ContainerSource with a command");
  return command;
}

export interface AppProcess {
  name: string;
  pid: number | undefined;
  /** The last output, for failure messages. */
  output(): string;
  exited(): boolean;
  /** SIGTERM (what the kubelet sends), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command` in the app directory with exactly the image's environment plus `env`. */
export function startProcess(
  name: string,
  app: string,
  command: string[],
  env: Record<string, string>,
  logDir: string,
): AppProcess {
  const [file, ...args] = command;
  const child: ChildProcess = spawn(file as string, args, {
    cwd: app,
    // The container has no host environment; PATH only, so `node` and `/bin/sh` resolve.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: app, ...imageEntrypoint().env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(path.join(logDir, `${name}.log`));
  let tail = "";
  const take = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-6000);
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    pid: child.pid,
    output: () => tail,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exit;
        clearTimeout(timer);
      }
      log.end();
    },
  };
}

/** A function as its Knative Service runs it: the image's entrypoint with FUNCTION_TARGET and PORT. */
export function startFunction(
  name: string,
  app: string,
  target: string,
  port: number,
  env: Record<string, string>,
  logDir: string,
): AppProcess {
  return startProcess(
    name,
    app,
    imageEntrypoint().command,
    { ...env, FUNCTION_TARGET: target, PORT: String(port) },
    logDir,
  );
}

export async function writeFileIn(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}
