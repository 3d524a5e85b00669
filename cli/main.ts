/**
 * `vvcu` command line: each command lives in cli/commands/NAME.ts and exports
 * `run(argv)` resolving to the exit code. Loaded lazily so `vvcu decode` starts fast.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const COMMANDS = {
  start: "the embedded stack (broker, MEC hosts, functions, manager API, simulator)",
  bridge: "the MQTT to CloudEvents bridge alone: reads MQTT_URL, sends to K_SINK",
  decode: "decode one C-ITS JSON message (FILE or stdin; --topic T)",
  sim: "the simulator alone, against MQTT_URL",
} as const;

/**
 * Commands of a source checkout, not of the product: they run from their own file in a child process,
 * so nothing the image contains imports them.
 */
const DEVELOPMENT_COMMANDS = {
  bench: {
    file: "test/bench/main.ts",
    text: "the benchmarks; --quick for a short run (source checkout only)",
  },
} as const;

type CommandName = keyof typeof COMMANDS;

function usage(): string {
  const lines = [
    ...Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(8)} ${text}`),
    ...Object.entries(DEVELOPMENT_COMMANDS).map(([name, { text }]) => `  ${name.padEnd(8)} ${text}`),
  ];
  return `usage: vvcu <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nvvcu <command> --help for its options`;
}

async function runDevelopmentCommand(file: string, args: string[]): Promise<number> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", file);
  if (!existsSync(script)) {
    console.error(`vvcu: ${file} is not here; development commands run from a source checkout`);
    return 2;
  }
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: "inherit" });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  return code ?? (signal === null ? 1 : 128 + (osConstants.signals[signal] ?? 0));
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  if (Object.hasOwn(DEVELOPMENT_COMMANDS, name)) {
    return runDevelopmentCommand(DEVELOPMENT_COMMANDS[name as keyof typeof DEVELOPMENT_COMMANDS].file, rest);
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    console.error(`vvcu: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = (await import(`./commands/${name as CommandName}.ts`)) as {
    run(args: string[]): Promise<number>;
  };
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`vvcu: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
