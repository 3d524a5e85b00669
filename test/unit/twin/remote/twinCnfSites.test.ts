import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../../functions/lib/config.ts";
import {
  twinCnfName,
  twinCnfObjects,
} from "../../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { TwinCnfSites } from "../../../../functions/lib/migration/drivers/kubernetesTwin.ts";
import type { OsmDriver } from "../../../../functions/lib/migration/drivers/osm.ts";
import { clusterDrivers } from "../../../../functions/lib/migration/fromConfig.ts";
import type { DeploymentRequest } from "../../../../functions/lib/model/driver.ts";
import { parseTopology } from "../../../../functions/lib/topology.ts";

const request: DeploymentRequest = {
  migrationId: "m-1",
  twin: "42",
  mec: "mec-b",
  sourceMec: "mec-a",
  snapshot: undefined,
};

const SQUARE = "{type: Polygon, coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]]}";

describe("twin CNF names", () => {
  it("differ per MEC, so a source and a target twin can share a namespace", () => {
    expect(twinCnfName("42", "mec-a")).toBe("vvcu-twin-42-mec-a");
    expect(twinCnfName("42", "mec-b")).toBe("vvcu-twin-42-mec-b");
  });

  it("select only their own MEC's pod, so the target's Service never answers for the source", () => {
    const sites = new TwinCnfSites({ "mec-a": { namespace: "vvcu" }, "mec-b": { namespace: "vvcu" } });
    const target = twinCnfObjects(sites.values(request)).service;
    const source = twinCnfObjects(sites.values({ ...request, mec: "mec-a", sourceMec: "mec-a" })).deployment;
    const sourcePodLabels = source.spec.template.metadata.labels;
    const selected = Object.entries(target.spec.selector).every(
      ([key, value]) => sourcePodLabels[key as keyof typeof sourcePodLabels] === value,
    );
    expect(selected).toBe(false);
  });

  it("refuse a MEC id that cannot name an object, and a name longer than a DNS label", () => {
    expect(() => twinCnfName("42", "MEC A")).toThrow(/MEC id must be lower-case letters, digits and '-'/);
    expect(() => twinCnfName("1234567890", "m".repeat(50))).toThrow(
      /is longer than 63 characters: use a shorter MEC id/,
    );
  });
});

describe("where a target twin hydrates from", () => {
  it("in one cluster: the source MEC's own Service, never the target's", () => {
    const sites = new TwinCnfSites({ "mec-a": { namespace: "vvcu" }, "mec-b": { namespace: "vvcu" } });
    const { hydrateFrom } = sites.values(request);
    expect(hydrateFrom).toBe("http://vvcu-twin-42-mec-a.vvcu.svc.cluster.local:8080/twins/42/snapshot");
    expect(hydrateFrom.startsWith(sites.twinUrl("42", "mec-b"))).toBe(false);
  });

  it("across clusters: the source MEC's address declared in the topology", () => {
    const topology = parseTopology(
      `defaults: {driver: osm}
mecs:
  - id: mec-a
    osm: {vimAccount: vim-a}
    twinUrl: https://mec-a.example.org/twins/{name}/
    zone: ${SQUARE}
  - id: mec-b
    osm: {vimAccount: vim-b}
    twinUrl: https://mec-b.example.org/twins/{name}
    zone: ${SQUARE}
`,
      "two-clusters.yaml",
    );
    const config = loadConfig({
      OSM_NBI_URL: "https://osm.example.org:9999",
      OSM_USERNAME: "u",
      OSM_PASSWORD: "p",
    });
    const driver = clusterDrivers(topology, config).osm as OsmDriver;
    const body = driver.instantiation(request, "nsd-1", "vim-b-id");
    const values = body.additionalParamsForVnf[0]?.additionalParamsForKdu[0]?.additionalParams;
    expect(values?.hydrateFrom).toBe("https://mec-a.example.org/twins/vvcu-twin-42-mec-a/twins/42/snapshot");
    expect(values?.mecId).toBe("mec-b");
  });
});
