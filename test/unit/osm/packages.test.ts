import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { OSM_IDS } from "../../../functions/lib/migration/drivers/osm.ts";
import {
  buildOsmPackages,
  checkConsistency,
  HELM_CHART_FOLDER,
  KNF_PACKAGE,
  NS_PACKAGE,
  ROOT,
} from "../../../scripts/osm-package.ts";

let outDir: string;
let built: { knf: string; ns: string };
const listings = new Map<string, string[]>();

async function entriesOf(tarball: string): Promise<string[]> {
  const entries: string[] = [];
  await tar.list({ file: tarball, onReadEntry: (entry) => entries.push(entry.path) });
  return entries;
}

async function extracted(tarball: string): Promise<string> {
  const dir = await mkdtemp(path.join(outDir, "x-"));
  await tar.extract({ file: tarball, cwd: dir });
  return dir;
}

const md5 = (content: Buffer) => createHash("md5").update(content).digest("hex");
const chartDir = path.join(ROOT, "charts", "vvcu-twin");
const chart = YAML.parse(await readFile(path.join(chartDir, "Chart.yaml"), "utf8")) as {
  name: string;
  version: string;
};

beforeAll(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), "vvcu-osm-test-"));
  built = await buildOsmPackages(outDir);
  for (const tarball of [built.knf, built.ns]) listings.set(tarball, await entriesOf(tarball));
});

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe("npm run osm:package", () => {
  it("writes the two tarballs OSM onboards", () => {
    expect(path.basename(built.knf)).toBe(`${KNF_PACKAGE}.tar.gz`);
    expect(path.basename(built.ns)).toBe(`${NS_PACKAGE}.tar.gz`);
  });

  it("lays the KNF package out as OSM expects: one top folder, the descriptor, the chart under helm-chart-v3s", () => {
    const files = listings.get(built.knf)?.filter((entry) => !entry.endsWith("/"));
    expect(files?.sort()).toEqual(
      [
        `${KNF_PACKAGE}/${KNF_PACKAGE}.yaml`,
        `${KNF_PACKAGE}/checksums.txt`,
        ...[
          ".helmignore",
          "Chart.yaml",
          "values.yaml",
          "values.schema.json",
          "templates/deployment.yaml",
          "templates/service.yaml",
        ].map((file) => `${KNF_PACKAGE}/${HELM_CHART_FOLDER}/${chart.name}/${file}`),
      ].sort(),
    );
    expect(
      listings
        .get(built.ns)
        ?.filter((entry) => !entry.endsWith("/"))
        .sort(),
    ).toEqual([`${NS_PACKAGE}/checksums.txt`, `${NS_PACKAGE}/${NS_PACKAGE}.yaml`]);
  });

  it("has exactly one descriptor at the top of each package (the NBI refuses more)", () => {
    for (const entries of listings.values()) {
      const topYaml = entries.filter((entry) => entry.split("/").length === 2 && /\.ya?ml$/.test(entry));
      expect(topYaml).toHaveLength(1);
    }
  });

  it("lists every other file in checksums.txt with its md5", async () => {
    for (const [tarball, name] of [
      [built.knf, KNF_PACKAGE],
      [built.ns, NS_PACKAGE],
    ] as const) {
      const dir = await extracted(tarball);
      const lines = (await readFile(path.join(dir, name, "checksums.txt"), "utf8")).trim().split("\n");
      const listed = new Map(lines.map((line) => line.split("\t").reverse() as [string, string]));
      const files = (listings.get(tarball) ?? [])
        .filter((entry) => !entry.endsWith("/") && !entry.endsWith("checksums.txt"))
        .map((entry) => entry.slice(name.length + 1));
      expect([...listed.keys()].sort()).toEqual(files.sort());
      for (const [file, sum] of listed) {
        expect(sum, file).toBe(md5(await readFile(path.join(dir, name, file))));
      }
    }
  });

  it("carries charts/vvcu-twin byte for byte", async () => {
    const dir = await extracted(built.knf);
    for (const file of ["Chart.yaml", "values.yaml", "templates/deployment.yaml"]) {
      const packaged = await readFile(path.join(dir, KNF_PACKAGE, HELM_CHART_FOLDER, chart.name, file));
      expect(packaged.equals(await readFile(path.join(chartDir, file))), file).toBe(true);
    }
  });

  it("describes the KNF and NS the osm driver instantiates, with the chart's name and version", async () => {
    const dir = await extracted(built.knf);
    const { vnfd } = YAML.parse(await readFile(path.join(dir, KNF_PACKAGE, `${KNF_PACKAGE}.yaml`), "utf8"));
    expect(vnfd).toMatchObject({
      id: OSM_IDS.vnfd,
      version: chart.version,
      "mgmt-cp": "mgmt-ext",
      kdu: [{ name: OSM_IDS.kdu, "helm-chart": chart.name, "helm-version": "v3" }],
      "k8s-cluster": { nets: [{ id: "mgmtnet" }] },
      "ext-cpd": [{ id: "mgmt-ext", "k8s-cluster-net": "mgmtnet" }],
    });
    const nsDir = await extracted(built.ns);
    const { nsd } = YAML.parse(await readFile(path.join(nsDir, NS_PACKAGE, `${NS_PACKAGE}.yaml`), "utf8"));
    expect(nsd.nsd).toHaveLength(1);
    expect(nsd.nsd[0]).toMatchObject({
      id: OSM_IDS.nsd,
      "vnfd-id": [OSM_IDS.vnfd],
      "virtual-link-desc": [{ id: "mgmtnet", "mgmt-network": true }],
      df: [
        {
          "vnf-profile": [
            {
              id: OSM_IDS.memberVnfIndex,
              "vnfd-id": OSM_IDS.vnfd,
              "virtual-link-connectivity": [
                {
                  "constituent-cpd-id": [
                    {
                      "constituent-base-element-id": OSM_IDS.memberVnfIndex,
                      "constituent-cpd-id": "mgmt-ext",
                    },
                  ],
                  "virtual-link-profile-id": "mgmtnet",
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it("builds the same bytes from the same sources", async () => {
    const again = await buildOsmPackages(await mkdtemp(path.join(outDir, "again-")));
    expect((await readFile(again.knf)).equals(await readFile(built.knf))).toBe(true);
    expect((await readFile(again.ns)).equals(await readFile(built.ns))).toBe(true);
  });
});

describe("checkConsistency", () => {
  const knf = () => YAML.parse(YAML.stringify(knfSource));
  const nsd = () => YAML.parse(YAML.stringify(nsdSource));
  let knfSource: unknown;
  let nsdSource: unknown;

  beforeAll(async () => {
    knfSource = YAML.parse(
      await readFile(path.join(ROOT, "osm", KNF_PACKAGE, `${KNF_PACKAGE}.yaml`), "utf8"),
    );
    nsdSource = YAML.parse(await readFile(path.join(ROOT, "osm", NS_PACKAGE, `${NS_PACKAGE}.yaml`), "utf8"));
  });

  it("accepts the committed descriptors", () => {
    expect(() => checkConsistency(knf(), nsd(), chart)).not.toThrow();
  });

  it("refuses a chart version the KNF does not carry", () => {
    expect(() => checkConsistency(knf(), nsd(), { ...chart, version: "9.9.9" })).toThrow(
      /KNF version 0.1.0 differs from the chart's 9.9.9/,
    );
  });

  it("refuses a KDU that does not reference the chart", () => {
    expect(() => checkConsistency(knf(), nsd(), { ...chart, name: "other" })).toThrow(
      /one KDU with helm-chart "other"/,
    );
  });

  it("refuses an NSD that points elsewhere", () => {
    const broken = nsd();
    broken.nsd.nsd[0]["vnfd-id"] = ["someone_else"];
    broken.nsd.nsd[0].df[0]["vnf-profile"][0]["virtual-link-connectivity"][0]["constituent-cpd-id"][0][
      "constituent-cpd-id"
    ] = "data";
    expect(() => checkConsistency(knf(), broken, chart)).toThrow(
      /does not reference vvcu_twin_knf.*connects data, which the KNF does not expose/,
    );
  });
});
