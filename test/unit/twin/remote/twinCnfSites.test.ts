import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../../functions/lib/config.ts";
import {
  twinCnfName,
  twinCnfObjects,
} from "../../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { TwinCnfSites } from "../../../../functions/lib/migration/drivers/kubernetesTwin.ts";
import type { OsmDriver } from "../../../../functions/lib/migration/drivers/osm.ts";
import { clusterDrivers } from "../../../../functions/lib/migration/fromConfig.ts";
import type { DeploymentRequest, TwinDeployment } from "../../../../functions/lib/model/driver.ts";
import { parseTopology } from "../../../../functions/lib/topology.ts";
import { twinHostHandler } from "../../../../functions/lib/twin/remote/server.ts";
import { MemoryTwinHost, snapshotOf } from "./fixtures.ts";

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

describe("the deployment a twin CNF keeps, for another MEC's control plane", () => {
  it("is recorded when the driver activates the twin, and answered while the twin lives there", async () => {
    const host = new MemoryTwinHost("mec-b");
    const kept = { value: undefined as TwinDeployment | undefined };
    const server = http.createServer(twinHostHandler(host, { station: "42", deployment: kept }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const sites = new TwinCnfSites({
        "mec-a": { namespace: "vvcu", twinUrl: "http://127.0.0.1:1/{name}" },
        "mec-b": { namespace: "vvcu", twinUrl: baseUrl },
      });
      const signal = new AbortController().signal;
      const existing = { driver: "osm", twin: "42", mec: "mec-b", ref: "name:vvcu-twin-42-mec-b" };
      const deployed = { ...existing, ref: "ns:ns-7/op:op-9" };
      await host.hydrate(snapshotOf("42", "mec-a"));
      await sites.activate(deployed, signal);
      expect(kept.value).toEqual(deployed);
      expect(host.twins.get("42")?.twin.status).toBe("stable");
      expect(await sites.hosted("42", "mec-b", existing, signal)).toEqual(deployed);
      // Known by name only: not recorded over the ids.
      await sites.activate(existing, signal, false);
      expect(kept.value).toEqual(deployed);
      // No twin CNF answering at mec-a, and none of an unknown MEC: the twin lives at neither.
      expect(await sites.hosted("42", "mec-a", { ...existing, mec: "mec-a" }, signal)).toBeUndefined();
      expect(await sites.hosted("42", "mec-c", { ...existing, mec: "mec-c" }, signal)).toBeUndefined();
      await host.release("42");
      expect(await sites.hosted("42", "mec-b", existing, signal)).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
