/**
 * `vvcu` command line: each command lives in scripts/commands/NAME.ts and exports
 * `run(argv)` resolving to the exit code. Loaded lazily so `vvcu decode` starts fast.
 */
const COMMANDS = {
  start: "the embedded stack (broker, MEC hosts, functions, manager API, simulator)",
  bridge: "the MQTT to CloudEvents bridge alone: reads MQTT_URL, sends to K_SINK",
  decode: "decode one C-ITS JSON message (FILE or stdin; --topic T)",
  sim: "the simulator alone, against MQTT_URL",
  bench: "the benchmarks; --quick for a short run",
} as const;

type CommandName = keyof typeof COMMANDS;

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, text]) => `  ${name.padEnd(8)} ${text}`);
  return `usage: vvcu <command> [options]\n\ncommands:\n${lines.join("\n")}\n\nvvcu <command> --help for its options`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 1 : 0;
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
