/**
 * Generates grafana/dashboards/*.json from the dashboards as code in scripts/dashboards/.
 * `npm run dashboards` writes them; `--check` exits 1 when a committed file differs (the test does the same).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { systemDashboard } from "./dashboards/system.ts";
import { twinDashboard } from "./dashboards/twin.ts";

export const DASHBOARDS_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "grafana",
  "dashboards",
);

/** File name to its exact committed text. */
export function renderDashboards(): Record<string, string> {
  const dashboards = { "system.json": systemDashboard(), "twin.json": twinDashboard() };
  return Object.fromEntries(
    Object.entries(dashboards).map(([file, dashboard]) => [file, `${JSON.stringify(dashboard, null, 2)}\n`]),
  );
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function main(argv: string[]): number {
  const check = argv.includes("--check");
  let stale = 0;
  for (const [name, text] of Object.entries(renderDashboards())) {
    const file = path.join(DASHBOARDS_DIR, name);
    if (readOrEmpty(file) === text) continue;
    stale += 1;
    if (check) console.error(`${file} differs from the generator: run npm run dashboards`);
    else {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
  return check && stale > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
