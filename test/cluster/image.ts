/**
 * Processes of the image built without Docker (test/image/build.ts): started in its /app with
 * its ENV and the Dockerfile's ENTRYPOINT (functions) or the bridge ContainerSource's command
 * (knative/bridge.yaml), each with its own environment and log file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import type { BuiltImage } from "../image/build.ts";

export type { BuiltImage };

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

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
  /** Settles when the process has exited, however. */
  ended: Promise<void>;
  /** SIGTERM (what the kubelet sends), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `command` in the image's /app with exactly the image's environment plus `env`. */
export function startProcess(
  name: string,
  image: BuiltImage,
  command: string[],
  env: Record<string, string>,
  logDir: string,
): AppProcess {
  const [file, ...args] = command;
  const child: ChildProcess = spawn(file as string, args, {
    cwd: image.appDir,
    // The container has no host environment; PATH only, so `node` and `/bin/sh` resolve.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: image.appDir, ...image.env, ...env },
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
    ended: exit,
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
  image: BuiltImage,
  target: string,
  port: number,
  env: Record<string, string>,
  logDir: string,
): AppProcess {
  return startProcess(
    name,
    image,
    image.entrypoint,
    { ...env, FUNCTION_TARGET: target, PORT: String(port) },
    logDir,
  );
}

export async function writeFileIn(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}
