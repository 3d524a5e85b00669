import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubernetesDriver } from "../../../../functions/lib/migration/drivers/kubernetes.ts";
import { twinCnfObjects } from "../../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import type { DeploymentRequest } from "../../../../functions/lib/model/driver.ts";
import { snapshotOf } from "../../../unit/twin/remote/fixtures.ts";
import { FakeKubeApi, kubeconfigFor } from "./fakeKubeApi.ts";
import { eventually, startTwinCnf, type TwinCnf } from "./twinCnf.ts";

const request: DeploymentRequest = {
  migrationId: "m-1",
  twin: "42",
  mec: "mec-b",
  sourceMec: "mec-a",
  snapshot: snapshotOf("42", "mec-a"),
};

let apiA: FakeKubeApi;
let apiB: FakeKubeApi;
let source: TwinCnf;
let target: TwinCnf;
let driver: KubernetesDriver;
const signal = () => new AbortController().signal;

beforeEach(async () => {
  apiA = new FakeKubeApi();
  apiB = new FakeKubeApi();
  await Promise.all([apiA.start(), apiB.start()]);
  source = await startTwinCnf("mec-a", "42");
  target = await startTwinCnf("mec-b", "42");
  await source.host.hydrate(snapshotOf("42", "mec-a"));
  source.host.calls.length = 0;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigFor({ "mec-a": apiA.url, "mec-b": apiB.url }));
  driver = new KubernetesDriver({
    kubeConfig,
    mecs: {
      "mec-a": { context: "kind-mec-a", namespace: "vvcu", twinUrl: source.url },
      "mec-b": {
        context: "kind-mec-b",
        namespace: "twins",
        twinUrl: target.url,
        mqttUrl: "mqtt://broker-b:1883",
      },
    },
    pollIntervalMs: 5,
    readyTimeoutMs: 5_000,
    releaseTimeoutMs: 5_000,
    callTimeoutMs: 2_000,
  });
});

afterEach(async () => {
  await Promise.all([apiA.stop(), apiB.stop()]);
  await Promise.all([source.close(), target.close()]);
});

describe("KubernetesDriver.place", () => {
  it("server-side applies the chart's Service and Deployment in the target MEC's cluster", async () => {
    const twinDeployment = await driver.place(request, signal());
    expect(twinDeployment).toEqual({
      driver: "kubernetes",
      twin: "42",
      mec: "mec-b",
      ref: "twins/vvcu-twin-42-mec-b",
    });
    expect(apiA.requests).toEqual([]);
    expect(apiB.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      "PATCH /api/v1/namespaces/twins/services/vvcu-twin-42-mec-b",
      "PATCH /apis/apps/v1/namespaces/twins/deployments/vvcu-twin-42-mec-b",
    ]);
    const expected = twinCnfObjects({
      ...driver.values(request),
      hydrateFrom: `${source.url}/twins/42/snapshot`,
      mqttUrl: "mqtt://broker-b:1883",
    });
    const [service, deployment] = apiB.requests;
    expect(service?.body).toEqual({
      ...expected.service,
      metadata: { ...expected.service.metadata, namespace: "twins" },
    });
    expect(deployment?.body).toEqual({
      ...expected.deployment,
      metadata: { ...expected.deployment.metadata, namespace: "twins" },
    });
    for (const sent of apiB.requests) {
      expect(sent.contentType).toBe("application/apply-patch+yaml");
      expect(sent.query).toMatchObject({ fieldManager: "vvcu-migration", force: "true" });
      expect(sent.authorization).toBe("Bearer test-token");
    }
    expect(source.host.calls).toEqual(["setStatus 42 migrating"]);
  });

  it("is idempotent: placing again re-applies the same objects", async () => {
    await driver.place(request, signal());
    await driver.place(request, signal());
    expect(
      apiB.objects.get(apiB.key("deployments", "twins", "vvcu-twin-42-mec-b"))?.metadata.generation,
    ).toBe(2);
  });

  it("a deployment at a first home leaves the twin CNF a migration already placed there as it is", async () => {
    await driver.place(request, signal());
    apiB.requests.length = 0;
    const first = { ...request, migrationId: "p-1", sourceMec: "mec-b", snapshot: undefined };
    expect(await driver.place(first, signal())).toEqual(driver.existing("42", "mec-b"));
    expect(apiB.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      "GET /apis/apps/v1/namespaces/twins/deployments/vvcu-twin-42-mec-b",
    ]);
  });

  it("a deployment at a first home applies the twin CNF, fresh, where there is none", async () => {
    const first = { ...request, migrationId: "p-1", sourceMec: "mec-b", snapshot: undefined };
    await driver.place(first, signal());
    const calls = apiB.requests.map(({ method, path }) => `${method} ${path}`);
    expect(calls.slice(1)).toEqual([
      "PATCH /api/v1/namespaces/twins/services/vvcu-twin-42-mec-b",
      "PATCH /apis/apps/v1/namespaces/twins/deployments/vvcu-twin-42-mec-b",
    ]);
    expect(driver.values(first).hydrateFrom).toBe("");
  });

  it("fails with the API server's message when it refuses", async () => {
    apiB.failures.push({
      method: "PATCH",
      resource: "deployments",
      code: 403,
      reason: "Forbidden",
      message: 'deployments.apps "vvcu-twin-42-mec-b" is forbidden: User "vvcu" cannot patch resource',
    });
    await expect(driver.place(request, signal())).rejects.toThrow(
      /kubernetes apply-deployment at mec-b: 403 deployments.apps "vvcu-twin-42-mec-b" is forbidden/,
    );
  });

  it("names a MEC without a kubernetes context", async () => {
    await expect(driver.place({ ...request, mec: "mec-z" }, signal())).rejects.toThrow(
      /MEC "mec-z" has no kubernetes settings/,
    );
  });
});

describe("KubernetesDriver.waitUntilReady", () => {
  it("waits for readyReplicas, then for the twin's own /ready", async () => {
    const twinDeployment = await driver.place(request, signal());
    let settled = false;
    const waiting = driver.waitUntilReady(twinDeployment, signal()).finally(() => {
      settled = true;
    });
    const reads = () => apiB.requests.filter((r) => r.method === "GET").length;
    await eventually(() => reads() >= 3, "the driver reads the deployment");
    expect(settled).toBe(false);
    apiB.markReady("twins", "vvcu-twin-42-mec-b");
    await eventually(() => target.host.calls.includes("isReady 42"), "the driver asks the twin");
    expect(settled).toBe(false);
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await waiting;
    expect(apiB.requests.at(-1)?.path).toBe("/apis/apps/v1/namespaces/twins/deployments/vvcu-twin-42-mec-b");
  });

  it("keeps waiting through a 503 of the API server", async () => {
    const twinDeployment = await driver.place(request, signal());
    apiB.failures.push({
      method: "GET",
      resource: "deployments",
      code: 503,
      reason: "ServiceUnavailable",
      message: "etcd",
    });
    apiB.markReady("twins", "vvcu-twin-42-mec-b");
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await driver.waitUntilReady(twinDeployment, signal());
    expect(apiB.requests.filter((r) => r.method === "GET").length).toBe(2);
  });

  it("fails with the Deployment's reason when its rollout stalls", async () => {
    const twinDeployment = await driver.place(request, signal());
    apiB.setStatus("twins", "vvcu-twin-42-mec-b", {
      conditions: [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: 'ReplicaSet "vvcu-twin-42-5d8" has timed out progressing.',
        },
      ],
    });
    await expect(driver.waitUntilReady(twinDeployment, signal())).rejects.toThrow(
      /deployment twins\/vvcu-twin-42-mec-b at mec-b: ProgressDeadlineExceeded: ReplicaSet/,
    );
  });

  it("times out naming what it waited for", async () => {
    const quick = new KubernetesDriver({
      kubeConfig: (() => {
        const config = new KubeConfig();
        config.loadFromString(kubeconfigFor({ "mec-b": apiB.url }));
        return config;
      })(),
      mecs: { "mec-b": { context: "kind-mec-b", namespace: "twins", twinUrl: target.url } },
      pollIntervalMs: 5,
      readyTimeoutMs: 100,
    });
    const twinDeployment = await quick.place(request, signal());
    await expect(quick.waitUntilReady(twinDeployment, signal())).rejects.toThrow(
      /deployment twins\/vvcu-twin-42-mec-b at mec-b: not done after 100 ms \(last: readyReplicas 0\)/,
    );
  });

  it("stops when the engine aborts", async () => {
    const twinDeployment = await driver.place(request, signal());
    const controller = new AbortController();
    const waiting = driver.waitUntilReady(twinDeployment, controller.signal);
    controller.abort(new Error("migration cancelled"));
    await expect(waiting).rejects.toThrow(/cancelled|aborted/);
  });
});

describe("KubernetesDriver.release", () => {
  it("deletes with foreground propagation and waits until the Deployment is gone", async () => {
    const twinDeployment = await driver.place(request, signal());
    apiB.requests.length = 0;
    apiB.terminatingReads = 2;
    await driver.release(twinDeployment, signal());
    const calls = apiB.requests.map(({ method, path }) => `${method} ${path}`);
    expect(calls.slice(0, 2)).toEqual([
      "DELETE /apis/apps/v1/namespaces/twins/deployments/vvcu-twin-42-mec-b",
      "DELETE /api/v1/namespaces/twins/services/vvcu-twin-42-mec-b",
    ]);
    expect(calls.slice(2)).toEqual(
      Array(3).fill("GET /apis/apps/v1/namespaces/twins/deployments/vvcu-twin-42-mec-b"),
    );
    expect(apiB.requests[0]?.query).toMatchObject({ propagationPolicy: "Foreground" });
    expect(apiB.objects.size).toBe(0);
  });

  it("releases the twin's record in its MEC's store (delete and tombstone) before deleting its twin CNF", async () => {
    await driver.release(driver.existing("42", "mec-a"), signal());
    expect(source.host.calls).toEqual(["release 42"]);
    expect(source.host.twins.has("42")).toBe(false);
    expect(apiA.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE", "GET"]);
  });

  it("still deletes the twin CNF when it no longer answers (a release retried after its deletion)", async () => {
    await source.close();
    await driver.release(driver.existing("42", "mec-a"), signal());
    expect(apiA.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE", "GET"]);
    source = await startTwinCnf("mec-a", "42");
  });

  it("is idempotent: releasing what is already gone succeeds", async () => {
    await driver.release(driver.existing("42", "mec-a"), signal());
    expect(apiA.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE", "GET"]);
  });

  it("fails with the API server's message on other errors", async () => {
    apiA.failures.push({
      method: "DELETE",
      resource: "deployments",
      code: 500,
      reason: "InternalError",
      message: "boom",
    });
    await expect(driver.release(driver.existing("42", "mec-a"), signal())).rejects.toThrow(
      /kubernetes delete-deployment at mec-a: 500 boom/,
    );
  });
});

describe("KubernetesDriver.activate", () => {
  it("marks the twin stable at its new home", async () => {
    await target.host.hydrate(snapshotOf("42", "mec-a"));
    await driver.activate(driver.existing("42", "mec-b"), signal());
    expect(target.host.calls.at(-1)).toBe("setStatus 42 stable");
  });
});
