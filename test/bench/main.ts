/**
 * `vvcu bench [--quick] [--only ID[,ID]] [--out DIR]`: runs every test/bench/*.bench.ts,
 * writes DIR/bench.json and DIR/bench.md. Fails only when a benchmark breaks, never
 * because the machine is slow.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { BenchFigure, Benchmark } from "./types.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));

export async function loadBenchmarks(): Promise<Benchmark[]> {
  const files = (await readdir(benchDir)).filter((file) => file.endsWith(".bench.ts")).sort();
  const benchmarks: Benchmark[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(benchDir, file)).href)) as { benchmark: Benchmark };
    benchmarks.push(module.benchmark);
  }
  return benchmarks;
}

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30);
  return `${os.cpus().length} x ${cpu}, ${memoryGiB} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

const formatNumber = (value: number): string =>
  Number.isFinite(value)
    ? value >= 100
      ? Math.round(value).toLocaleString("en-US")
      : value.toPrecision(3)
    : String(value);

export function markdownTable(results: { benchmark: Benchmark; figures: BenchFigure[] }[]): string {
  const rows = [
    "| benchmark | figure | measured | compared with (same run) | aim | met |",
    "|---|---|---|---|---|---|",
  ];
  for (const { benchmark, figures } of results) {
    for (const figure of figures) {
      const baseline = figure.baseline
        ? `${figure.baseline.name}: ${formatNumber(figure.baseline.value)} ${figure.baseline.unit}`
        : "";
      const met = figure.met === undefined ? "" : figure.met ? "yes" : "no";
      rows.push(
        `| ${benchmark.title} | ${figure.name} | ${formatNumber(figure.value)} ${figure.unit} | ${baseline} | ${figure.aim ?? ""} | ${met} |`,
      );
    }
  }
  return rows.join("\n");
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      out: { type: "string", default: "bench-results" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log("usage: vvcu bench [--quick] [--only ID[,ID...]] [--out DIR]");
    return 0;
  }
  const only = values.only?.split(",");
  const benchmarks = (await loadBenchmarks()).filter((b) => only === undefined || only.includes(b.id));
  const results: { benchmark: Benchmark; figures: BenchFigure[] }[] = [];
  let broken = 0;
  for (const benchmark of benchmarks) {
    process.stderr.write(`bench: ${benchmark.id} ...\n`);
    try {
      const figures = await benchmark.run({ quick: values.quick });
      results.push({ benchmark, figures });
    } catch (error) {
      broken++;
      console.error(`bench: ${benchmark.id} broke: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  const date = new Date().toISOString();
  const machine = machineLine();
  const table = markdownTable(results);
  const markdown = `Measured ${date.slice(0, 10)} on ${machine}${values.quick ? " (--quick)" : ""}.\n\n${table}\n`;
  await mkdir(values.out, { recursive: true });
  await writeFile(
    path.join(values.out, "bench.json"),
    `${JSON.stringify({ date, machine, quick: values.quick, results: results.map((r) => ({ id: r.benchmark.id, title: r.benchmark.title, figures: r.figures })) }, null, 2)}\n`,
  );
  await writeFile(path.join(values.out, "bench.md"), markdown);
  console.log(markdown);
  return broken === 0 ? 0 : 1;
}

// Run as a script: `vvcu bench` starts this file in a process of its own (the benchmarks are development
// tools that live with the tests, and the product never imports them).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`vvcu bench: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
