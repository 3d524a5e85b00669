import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { metrics } from "../../../../functions/lib/metrics.ts";
import { TWIN_CNF_DEFAULTS } from "../../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { OsmDriver, type OsmDriverOptions } from "../../../../functions/lib/migration/drivers/osm.ts";
import { NbiClient } from "../../../../functions/lib/migration/drivers/osmNbi.ts";
import type { DeploymentRequest } from "../../../../functions/lib/model/driver.ts";
import { snapshotOf } from "../../../unit/twin/remote/fixtures.ts";
import { FakeOsmNbi } from "./fakeOsmNbi.ts";
import { eventually, startTwinCnf, type TwinCnf } from "./twinCnf.ts";

const request: DeploymentRequest = {
  migrationId: "m-9",
  twin: "42",
  mec: "mec-b",
  sourceMec: "mec-a",
  snapshot: snapshotOf("42", "mec-a"),
};

let nbi: FakeOsmNbi;
let source: TwinCnf;
let target: TwinCnf;
const signal = () => new AbortController().signal;

function driverWith(options: Partial<OsmDriverOptions> = {}, password = "pw"): OsmDriver {
  return new OsmDriver({
    nbi: new NbiClient({
      url: nbi.url,
      username: "vvcu",
      password,
      project: "vvcu-project",
      timeoutMs: 2_000,
    }),
    mecs: {
      "mec-a": { vimAccount: "mec-a-vim", namespace: "vvcu", twinUrl: source.url },
      "mec-b": { vimAccount: "mec-b-vim", namespace: "twins", twinUrl: target.url },
    },
    pollIntervalMs: 5,
    readyTimeoutMs: 5_000,
    releaseTimeoutMs: 5_000,
    ...options,
  });
}

beforeEach(async () => {
  nbi = new FakeOsmNbi();
  await nbi.start();
  source = await startTwinCnf("mec-a", "42");
  target = await startTwinCnf("mec-b", "42");
  await source.host.hydrate(snapshotOf("42", "mec-a"));
  source.host.calls.length = 0;
});

afterEach(async () => {
  await Promise.all([nbi.stop(), source.close(), target.close()]);
});

describe("OsmDriver.place", () => {
  it("authenticates, resolves the NSD and VIM account by name, and creates and instantiates in one call", async () => {
    const deployment = await driverWith().place(request, signal());
    expect(nbi.calls()).toEqual([
      "POST /osm/admin/v1/tokens",
      "GET /osm/nsd/v1/ns_descriptors",
      "GET /osm/admin/v1/vim_accounts",
      "POST /osm/nslcm/v1/ns_instances_content",
    ]);
    const [token, nsd, , create] = nbi.requests;
    expect(token?.body).toEqual({ username: "vvcu", password: "pw", project_id: "vvcu-project" });
    expect(nsd?.query).toEqual({ id: "vvcu_twin_ns" });
    expect(create?.authorization).toBe("Bearer token-0001");
    expect(create?.body).toEqual({
      nsdId: "6b0f8f2a-nsd",
      nsName: "vvcu-twin-42-mec-b",
      nsDescription: "vvcu twin of station 42 at mec-b (migration m-9)",
      vimAccountId: "5b55-vim-b",
      additionalParamsForVnf: [
        {
          "member-vnf-index": "vvcu_twin",
          additionalParamsForKdu: [
            {
              kdu_name: "vvcu-twin",
              "k8s-namespace": "twins",
              additionalParams: expect.any(Object),
            },
          ],
        },
      ],
    });
    type Created = { additionalParamsForVnf: { additionalParamsForKdu: { additionalParams: unknown }[] }[] };
    const created = nbi.requests[3]?.body as Created;
    const params = created.additionalParamsForVnf[0]?.additionalParamsForKdu[0]?.additionalParams;
    expect(params).toEqual({
      ...TWIN_CNF_DEFAULTS,
      stationId: "42",
      mecId: "mec-b",
      migrationId: "m-9",
      hydrateFrom: `${source.url}/twins/42/snapshot`,
    });
    expect(deployment).toEqual({ driver: "osm", twin: "42", mec: "mec-b", ref: "ns:ns-0002/op:op-0003" });
    expect(source.host.calls).toEqual(["setStatus 42 migrating"]);
    const timed = (await metrics.orchestratorCallSeconds.get()).values.filter(
      (value) =>
        value.metricName?.endsWith("_count") &&
        value.labels.driver === "osm" &&
        value.labels.outcome === "ok",
    );
    expect(timed.map((value) => value.labels.operation)).toEqual(
      expect.arrayContaining(["authenticate", "nsd-list", "vim-list", "ns-create-instantiate"]),
    );
  });

  it("resolves names once and reuses its token", async () => {
    const driver = driverWith();
    await driver.place(request, signal());
    await driver.place({ ...request, twin: "43" }, signal());
    const perDeployment = ["POST /osm/nslcm/v1/ns_instances_content"];
    expect(nbi.calls().filter((call) => !perDeployment.includes(call))).toEqual([
      "POST /osm/admin/v1/tokens",
      "GET /osm/nsd/v1/ns_descriptors",
      "GET /osm/admin/v1/vim_accounts",
    ]);
  });

  it("placed again, reuses the NS instance the journal recorded while OSM still has it", async () => {
    const driver = driverWith();
    const first = await driver.place(request, signal());
    const again = await driver.place({ ...request, recorded: first }, signal());
    expect(again.ref).toBe("ns:ns-0002");
    expect(nbi.instances.size).toBe(1);
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await driver.waitUntilReady(again, signal());
    nbi.instances.clear();
    const recreated = await driver.place({ ...request, recorded: first }, signal());
    expect(recreated.ref).not.toMatch(/^ns:ns-0002\b/);
    expect(nbi.instances.size).toBe(1);
  });

  it("never adopts an NS instance because it has the twin's name (OSM allows duplicate names)", async () => {
    const driver = driverWith();
    const other = await driver.place({ ...request, migrationId: "m-8" }, signal());
    const deployment = await driver.place(request, signal());
    expect(deployment.ref).not.toBe(other.ref);
    expect([...nbi.instances.values()].map((ns) => ns.name)).toEqual([
      "vvcu-twin-42-mec-b",
      "vvcu-twin-42-mec-b",
    ]);
    expect(nbi.calls()).not.toContain("GET /osm/nslcm/v1/ns_instances");
  });

  it("fails with the NBI's code and detail on a 5xx", async () => {
    nbi.failures.push({
      method: "POST",
      path: "/osm/nslcm/v1/ns_instances_content",
      status: 500,
      code: "INTERNAL_SERVER_ERROR",
      detail: "database exception: connection refused",
    });
    await expect(driverWith().place(request, signal())).rejects.toThrow(
      "OSM ns-create-instantiate (POST /osm/nslcm/v1/ns_instances_content) answered 500 INTERNAL_SERVER_ERROR: database exception: connection refused",
    );
  });

  it("names a VIM account OSM does not know", async () => {
    const driver = driverWith({
      mecs: { "mec-b": { vimAccount: "nowhere", namespace: "twins", twinUrl: target.url } },
    });
    await expect(driver.place(request, signal())).rejects.toThrow('OSM has no VIM account "nowhere"');
  });

  it("says to onboard the NS package when the NSD is missing", async () => {
    await expect(driverWith({ nsd: "other_ns" }).place(request, signal())).rejects.toThrow(
      /no NS descriptor "other_ns" \(onboard osm\/build\/vvcu_twin_ns.tar.gz\)/,
    );
  });

  it("fails clearly on wrong credentials, after one more try", async () => {
    await expect(driverWith({}, "wrong").place(request, signal())).rejects.toThrow(
      "OSM authenticate (POST /osm/admin/v1/tokens) answered 401 UNAUTHORIZED: Invalid username or password",
    );
    expect(nbi.calls()).toEqual(["POST /osm/admin/v1/tokens"]);
  });
});

describe("OsmDriver.waitUntilReady", () => {
  it("follows the operation to COMPLETED and the NS to READY, then waits for the twin's /ready", async () => {
    nbi.instantiateStates = ["PROCESSING", "PROCESSING", "COMPLETED"];
    nbi.nsStates = ["BUILDING", "BUILDING", "READY"];
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    let settled = false;
    const waiting = driver.waitUntilReady(deployment, signal()).finally(() => {
      settled = true;
    });
    await eventually(() => target.host.calls.includes("isReady 42"), "the driver asks the twin itself");
    expect(settled).toBe(false);
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await waiting;
    const polls = nbi.calls().slice(4);
    expect(polls).toEqual([
      "GET /osm/nslcm/v1/ns_lcm_op_occs/op-0003",
      "GET /osm/nslcm/v1/ns_lcm_op_occs/op-0003",
      "GET /osm/nslcm/v1/ns_lcm_op_occs/op-0003",
      "GET /osm/nslcm/v1/ns_instances/ns-0002",
      "GET /osm/nslcm/v1/ns_instances/ns-0002",
      "GET /osm/nslcm/v1/ns_instances/ns-0002",
    ]);
  });

  it("fails with the operation's detailed-status when instantiation FAILED", async () => {
    nbi.instantiateStates = ["PROCESSING", "FAILED"];
    nbi.instantiateDetail = "Deploying KDU vvcu-twin: Error: INSTALLATION FAILED: image pull back-off";
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    await expect(driver.waitUntilReady(deployment, signal())).rejects.toThrow(
      "OSM instantiation of NS vvcu-twin-42-mec-b FAILED: Deploying KDU vvcu-twin: Error: INSTALLATION FAILED: image pull back-off",
    );
  });

  it("fails with the NS's detailed-status when it is BROKEN", async () => {
    nbi.nsStates = ["BUILDING", "BROKEN"];
    nbi.nsDetail = "KDU vvcu-twin: helm release failed";
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    await expect(driver.waitUntilReady(deployment, signal())).rejects.toThrow(
      "OSM NS vvcu-twin-42-mec-b is BROKEN: KDU vvcu-twin: helm release failed",
    );
  });

  it("authenticates again when the token expired meanwhile", async () => {
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    nbi.expireTokens();
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await driver.waitUntilReady(deployment, signal());
    expect(nbi.calls().filter((call) => call === "POST /osm/admin/v1/tokens")).toHaveLength(2);
    const refused = nbi.requests.findIndex(
      (r) => r.authorization === "Bearer token-0001" && r.path.includes("op_occs"),
    );
    expect(nbi.requests[refused + 1]?.path).toBe("/osm/admin/v1/tokens");
    expect(nbi.requests[refused + 2]?.authorization).toBe("Bearer token-0004");
  });

  it("keeps waiting through a 503 while polling", async () => {
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    nbi.failures.push({
      method: "GET",
      path: "/osm/nslcm/v1/ns_lcm_op_occs",
      status: 503,
      code: "SERVICE_UNAVAILABLE",
      detail: "busy",
    });
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await driver.waitUntilReady(deployment, signal());
    expect(nbi.calls().filter((call) => call.includes("ns_lcm_op_occs"))).toHaveLength(3);
  });

  it("times out naming the state it was stuck in", async () => {
    nbi.nsStates = ["BUILDING"];
    const driver = driverWith({ readyTimeoutMs: 150 });
    const deployment = await driver.place(request, signal());
    await expect(driver.waitUntilReady(deployment, signal())).rejects.toThrow(
      /NS vvcu-twin-42-mec-b \(ns-0002\) READY: not done after \d+ ms \(last: nsState BUILDING\)/,
    );
  });
});

describe("OsmDriver.release", () => {
  it("terminates, follows the operation, then deletes the NS instance", async () => {
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    nbi.requests.length = 0;
    await driver.release(deployment, signal());
    expect(nbi.calls()).toEqual([
      "POST /osm/nslcm/v1/ns_instances/ns-0002/terminate",
      "GET /osm/nslcm/v1/ns_lcm_op_occs/op-0004",
      "GET /osm/nslcm/v1/ns_lcm_op_occs/op-0004",
      "DELETE /osm/nslcm/v1/ns_instances/ns-0002",
    ]);
    expect(nbi.instances.size).toBe(0);
  });

  it("releases the twin's record in its MEC's store (delete and tombstone), recorded NS or not", async () => {
    const driver = driverWith();
    await driver.release(driver.existing("42", "mec-a"), signal());
    expect(source.host.calls).toEqual(["release 42"]);
    expect(source.host.twins.has("42")).toBe(false);
  });

  it("releases only the NS instance whose id was recorded, never another of the same name", async () => {
    const driver = driverWith();
    const older = await driver.place({ ...request, migrationId: "m-8" }, signal());
    const deployment = await driver.place(request, signal());
    const [olderId, id] = [older, deployment].map((each) => /^ns:([^/]+)/.exec(each.ref)?.[1]);
    nbi.requests.length = 0;
    const released = await driver.release(deployment, signal());
    expect([...nbi.instances.keys()]).toEqual([olderId]);
    expect(released).toMatch(new RegExp(`^ns:${id}/op:op-\\d+$`));
    expect(nbi.calls()[0]).toBe(`POST /osm/nslcm/v1/ns_instances/${id}/terminate`);
    // Idempotent: the instance is gone, OSM answers 404.
    await driver.release(deployment, signal());
    expect([...nbi.instances.keys()]).toEqual([olderId]);
  });

  it("does nothing by name for a twin at a MEC without a recorded NS instance", async () => {
    const driver = driverWith();
    await driver.place(request, signal());
    nbi.requests.length = 0;
    expect(await driver.release(driver.existing("42", "mec-b"), signal())).toBe(
      "name:vvcu-twin-42-mec-b (no NS instance recorded: none terminated)",
    );
    expect(nbi.calls()).toEqual([]);
    expect(nbi.instances.size).toBe(1);
  });

  it("fails with the detail when termination FAILED, and leaves the instance", async () => {
    nbi.terminateStates = ["PROCESSING", "FAILED"];
    const driver = driverWith();
    const deployment = await driver.place(request, signal());
    await expect(driver.release(deployment, signal())).rejects.toThrow(
      /OSM termination of NS vvcu-twin-42-mec-b \(ns-0002\) FAILED: terminated/,
    );
    expect(nbi.instances.size).toBe(1);
  });
});

describe("OsmDriver.activate", () => {
  it("marks the twin stable at its new home", async () => {
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await driverWith().activate({ driver: "osm", twin: "42", mec: "mec-b", ref: "ns:x" }, signal());
    expect(target.host.calls.at(-1)).toBe("setStatus 42 stable");
  });
});
