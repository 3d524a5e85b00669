/**
 * `npm run osm:package`: builds the OSM packages from osm/ and charts/vvcu-twin into
 * osm/build/: vvcu_twin_knf.tar.gz (descriptor + helm-chart-v3s/vvcu-twin) and
 * vvcu_twin_ns.tar.gz, each a top folder with `checksums.txt` (md5 per file), the layout
 * `osm nfpkg-create` / `osm nspkg-create` onboard. Checks the descriptors agree first.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as tar from "tar";
import YAML from "yaml";

export const ROOT = path.resolve(import.meta.dirname, "..");
export const KNF_PACKAGE = "vvcu_twin_knf";
export const NS_PACKAGE = "vvcu_twin_ns";
/** OSM looks for a KDU's in-package chart under `<k8s cluster type>s/<helm-chart>`. */
export const HELM_CHART_FOLDER = "helm-chart-v3s";
/** Fixed file times, so the same sources give the same tarballs. */
const PACKAGE_MTIME = new Date("2026-01-01T00:00:00Z");

interface Knf {
  vnfd: {
    id: string;
    version: string;
    "mgmt-cp": string;
    kdu: { name: string; "helm-chart": string; "helm-version"?: string }[];
    "ext-cpd": { id: string }[];
  };
}
interface Nsd {
  nsd: {
    nsd: {
      id: string;
      "vnfd-id": string[];
      df: {
        "vnf-profile": {
          "vnfd-id": string;
          "virtual-link-connectivity": { "constituent-cpd-id": { "constituent-cpd-id": string }[] }[];
        }[];
      }[];
    }[];
  };
}
interface Chart {
  name: string;
  version: string;
}

async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((entry) => {
      const relative = path.posix.join(prefix, entry.name);
      return entry.isDirectory() ? filesUnder(dir, relative) : Promise.resolve([relative]);
    }),
  );
  return nested.flat().sort();
}

/** The descriptors and the chart must name each other consistently; throws what does not. */
export function checkConsistency(knf: Knf, nsd: Nsd, chart: Chart): void {
  const problems: string[] = [];
  const helmKdus = knf.vnfd.kdu.filter((kdu) => kdu["helm-chart"] === chart.name);
  if (helmKdus.length !== 1) problems.push(`the KNF must have one KDU with helm-chart "${chart.name}"`);
  if (helmKdus.some((kdu) => kdu["helm-version"] !== "v3")) problems.push("the KDU must use helm-version v3");
  if (knf.vnfd.version !== chart.version) {
    problems.push(`KNF version ${knf.vnfd.version} differs from the chart's ${chart.version}`);
  }
  if (!knf.vnfd["ext-cpd"].some((cpd) => cpd.id === knf.vnfd["mgmt-cp"]))
    problems.push("mgmt-cp is not an ext-cpd");
  const [ns] = nsd.nsd.nsd;
  if (!ns?.["vnfd-id"].includes(knf.vnfd.id)) problems.push(`the NSD does not reference ${knf.vnfd.id}`);
  for (const profile of ns?.df.flatMap((df) => df["vnf-profile"]) ?? []) {
    if (profile["vnfd-id"] !== knf.vnfd.id)
      problems.push(`vnf-profile references unknown ${profile["vnfd-id"]}`);
    const cpds = profile["virtual-link-connectivity"].flatMap((link) => link["constituent-cpd-id"]);
    for (const cpd of cpds) {
      if (!knf.vnfd["ext-cpd"].some((ext) => ext.id === cpd["constituent-cpd-id"])) {
        problems.push(`the NSD connects ${cpd["constituent-cpd-id"]}, which the KNF does not expose`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`OSM descriptors are inconsistent: ${problems.join("; ")}`);
}

/** md5 per file, as OSM's packages list them: `<md5>\t<path>`, paths relative to the package. */
export function checksums(files: Map<string, Buffer>): string {
  return [...files]
    .map(([file, content]) => `${createHash("md5").update(content).digest("hex")}\t${file}\n`)
    .join("");
}

async function writePackage(outDir: string, name: string, files: Map<string, Buffer>): Promise<string> {
  const staging = await mkdtemp(path.join(os.tmpdir(), "vvcu-osm-"));
  try {
    const all = new Map(files);
    all.set("checksums.txt", Buffer.from(checksums(files)));
    for (const [file, content] of all) {
      const target = path.join(staging, name, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    const tarball = path.join(outDir, `${name}.tar.gz`);
    // The top folder itself, so the tarball holds directory entries as `osm package-build` makes.
    await tar.create({ gzip: true, file: tarball, cwd: staging, portable: true, mtime: PACKAGE_MTIME }, [
      name,
    ]);
    return tarball;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export async function buildOsmPackages(outDir = path.join(ROOT, "osm", "build"), root = ROOT) {
  const knfPath = path.join(root, "osm", KNF_PACKAGE, `${KNF_PACKAGE}.yaml`);
  const nsPath = path.join(root, "osm", NS_PACKAGE, `${NS_PACKAGE}.yaml`);
  const chartDir = path.join(root, "charts", "vvcu-twin");
  const [knfText, nsText, chartText] = await Promise.all([
    readFile(knfPath),
    readFile(nsPath),
    readFile(path.join(chartDir, "Chart.yaml"), "utf8"),
  ]);
  const chart = YAML.parse(chartText) as Chart;
  checkConsistency(
    YAML.parse(knfText.toString("utf8")) as Knf,
    YAML.parse(nsText.toString("utf8")) as Nsd,
    chart,
  );

  await mkdir(outDir, { recursive: true });
  const knfFiles = new Map<string, Buffer>([[`${KNF_PACKAGE}.yaml`, knfText]]);
  for (const file of await filesUnder(chartDir)) {
    knfFiles.set(
      path.posix.join(HELM_CHART_FOLDER, chart.name, file),
      await readFile(path.join(chartDir, file)),
    );
  }
  const nsFiles = new Map<string, Buffer>([[`${NS_PACKAGE}.yaml`, nsText]]);
  return {
    knf: await writePackage(outDir, KNF_PACKAGE, knfFiles),
    ns: await writePackage(outDir, NS_PACKAGE, nsFiles),
  };
}

const USAGE = `usage: npm run osm:package [-- --out DIR]

Builds ${KNF_PACKAGE}.tar.gz and ${NS_PACKAGE}.tar.gz (default DIR: osm/build), then onboard them:
  osm nfpkg-create osm/build/${KNF_PACKAGE}.tar.gz
  osm nspkg-create osm/build/${NS_PACKAGE}.tar.gz`;

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { values } = parseArgs({
      options: { out: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
    if (values.help) {
      console.log(USAGE);
    } else {
      const built = await buildOsmPackages(values.out ? path.resolve(values.out) : undefined);
      console.log(
        `built ${path.relative(process.cwd(), built.knf)}\nbuilt ${path.relative(process.cwd(), built.ns)}`,
      );
    }
  } catch (error) {
    console.error(`osm:package: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
