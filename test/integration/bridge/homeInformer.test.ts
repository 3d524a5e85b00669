/**
 * The home informer against a local HTTP server that answers the Kubernetes API's real
 * list and watch paths with the real shapes (a DeploymentList, then watch lines).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import {
  isArrivingDeployment,
  startHomeInformer,
  TWIN_SELECTOR,
  twinOfDeployment,
} from "../../../bridges/mqtt/homeInformer.ts";
import { componentLogger } from "../../../functions/lib/log.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { waitFor } from "./harness.ts";

const NAMESPACE = "vvcu-mec-a";

function deployment(name: string, twin: string | undefined, resourceVersion: string) {
  const labels: Record<string, string> = { "app.kubernetes.io/name": "vvcu-twin" };
  if (twin !== undefined) labels["vvcu.io/twin"] = twin;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NAMESPACE, resourceVersion, uid: `uid-${name}`, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [] } },
    },
  };
}

interface FakeApi {
  url: string;
  requests: URL[];
  /** Writes one watch event to every open watch. */
  send(type: "ADDED" | "MODIFIED" | "DELETED", object: object): void;
  watchers(): number;
  /** Ends every open watch, as the API server does every few minutes. */
  dropWatches(): void;
  /** Answers the next n watch requests with 500. */
  failWatches(n: number): void;
  close(): Promise<void>;
}

async function startFakeApi(initial: object[]): Promise<FakeApi> {
  const requests: URL[] = [];
  const watches = new Set<http.ServerResponse>();
  let failing = 0;
  const path = `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    requests.push(url);
    if (url.pathname !== path || url.searchParams.get("labelSelector") !== TWIN_SELECTOR) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"kind":"Status","code":404}');
      return;
    }
    if (url.searchParams.get("watch") === "true") {
      if (failing > 0) {
        failing--;
        response.writeHead(500, { "content-type": "application/json" }).end('{"kind":"Status","code":500}');
        return;
      }
      response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      response.flushHeaders();
      watches.add(response);
      response.on("close", () => watches.delete(response));
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "DeploymentList",
        metadata: { resourceVersion: "100" },
        items: initial,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    send: (type, object) => {
      for (const watch of watches) watch.write(`${JSON.stringify({ type, object })}\n`);
    },
    watchers: () => watches.size,
    dropWatches: () => {
      for (const watch of watches) watch.end();
    },
    failWatches: (n) => {
      failing = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    // client-node refuses plain http unless told to; the fake API server is plain http on 127.0.0.1.
    clusters: [{ name: "test", server, skipTLSVerify: true }],
    users: [{ name: "test" }],
    contexts: [{ name: "test", cluster: "test", user: "test", namespace: NAMESPACE }],
    currentContext: "test",
  });
  return kubeConfig;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

describe("twinOfDeployment", () => {
  it("reads the station from a twin Deployment and ignores others", () => {
    expect(twinOfDeployment(deployment("twin-7", "7", "1"))).toBe("7");
    expect(twinOfDeployment(deployment("twin-x", undefined, "1"))).toBeUndefined();
    expect(
      twinOfDeployment({ metadata: { name: "other", labels: { "vvcu.io/twin": "7" } } }),
    ).toBeUndefined();
  });

  it("ignores the twin CNF of another MEC that shares the namespace", () => {
    const atB = deployment("vvcu-twin-7-mec-b", "7", "1");
    atB.metadata.labels["vvcu.io/mec"] = "mec-b";
    expect(twinOfDeployment(atB, "mec-a")).toBeUndefined();
    expect(twinOfDeployment(atB, "mec-b")).toBe("7");
  });
});

describe("home informer", () => {
  it("lists the twins placed here, then follows added and deleted twin Deployments", async () => {
    const api = await startFakeApi([
      deployment("twin-1001", "1001", "90"),
      deployment("twin-1002", "1002", "95"),
    ]);
    cleanups.push(() => api.close());
    const homes = new HomeRegistry();
    homes.setHome("2001", "mec-b");
    const informer = await startHomeInformer({
      kubeConfig: kubeConfigFor(api.url),
      namespace: NAMESPACE,
      mec: "mec-a",
      homes,
      logger: componentLogger("test"),
      restartDelayMs: 100,
    });
    cleanups.push(() => informer.close());

    expect(homes.twinsAt("mec-a").sort()).toEqual(["1001", "1002"]);
    expect(homes.homeOf("2001")).toBe("mec-b");
    await waitFor("the watch", () => api.watchers() === 1);
    const watch = api.requests.find((url) => url.searchParams.get("watch") === "true");
    expect(watch?.searchParams.get("resourceVersion")).toBe("100");

    // A migration places twin 2001 here (make-before-break): it starts flowing at once.
    api.send("ADDED", deployment("twin-2001", "2001", "101"));
    await waitFor("twin 2001 here", () => homes.homeOf("2001") === "mec-a");
    api.send("DELETED", deployment("twin-1001", "1001", "102"));
    await waitFor("twin 1001 gone", () => homes.homeOf("1001") === undefined);
    expect(homes.twinsAt("mec-a").sort()).toEqual(["1002", "2001"]);
  });

  it("has a migration's target receive the twin as arriving until its twin CNF is ready", async () => {
    const api = await startFakeApi([]);
    cleanups.push(() => api.close());
    const homes = new HomeRegistry();
    const informer = await startHomeInformer({
      kubeConfig: kubeConfigFor(api.url),
      namespace: NAMESPACE,
      mec: "mec-a",
      homes,
      logger: componentLogger("test"),
      restartDelayMs: 100,
    });
    cleanups.push(() => informer.close());
    await waitFor("the watch", () => api.watchers() === 1);
    const arriving = deployment("twin-3001", "3001", "101");
    const env = [{ name: "VVCU_HYDRATE_FROM", value: "http://mec-b/twins/3001/snapshot" }];
    arriving.spec.template.spec.containers = [{ name: "twin", env }] as never[];
    api.send("ADDED", arriving);
    await waitFor("twin 3001 received here", () => homes.receiversOf("3001").includes("mec-a"));
    expect(homes.homeOf("3001")).toBeUndefined();
    expect(isArrivingDeployment(arriving)).toBe(true);
    const ready = { ...arriving, status: { readyReplicas: 1 } };
    expect(isArrivingDeployment(ready)).toBe(false);
    api.send("MODIFIED", { ...ready, metadata: { ...arriving.metadata, resourceVersion: "102" } });
    await waitFor("twin 3001 lives here", () => homes.homeOf("3001") === "mec-a");
    // A rolled-back target: its twin CNF goes before it turned ready.
    const other = deployment("twin-3002", "3002", "103");
    other.spec.template.spec.containers = [{ name: "twin", env }] as never[];
    api.send("ADDED", other);
    await waitFor("twin 3002 received here", () => homes.receiversOf("3002").includes("mec-a"));
    api.send("DELETED", { ...other, metadata: { ...other.metadata, resourceVersion: "104" } });
    await waitFor("twin 3002 gone", () => homes.receiversOf("3002").length === 0);
    // A first homes (nothing to hydrate from) lives here at once.
    api.send("ADDED", deployment("twin-3003", "3003", "105"));
    await waitFor("twin 3003 lives here", () => homes.homeOf("3003") === "mec-a");
  });

  it("watches again after the API server ends the watch or fails", async () => {
    const api = await startFakeApi([]);
    cleanups.push(() => api.close());
    const homes = new HomeRegistry();
    const informer = await startHomeInformer({
      kubeConfig: kubeConfigFor(api.url),
      namespace: NAMESPACE,
      mec: "mec-a",
      homes,
      logger: componentLogger("test"),
      restartDelayMs: 100,
    });
    cleanups.push(() => informer.close());
    const watchRequests = () => api.requests.filter((url) => url.searchParams.get("watch") === "true").length;
    await waitFor("the watch", () => api.watchers() === 1);
    api.send("ADDED", deployment("twin-5", "5", "101"));
    await waitFor("twin 5", () => homes.homeOf("5") === "mec-a");

    api.failWatches(2);
    api.dropWatches();
    await waitFor("a new watch after two failures", () => api.watchers() === 1 && watchRequests() === 4);
    api.send("ADDED", deployment("twin-6", "6", "102"));
    await waitFor("twin 6", () => homes.homeOf("6") === "mec-a");
    expect(homes.twinsAt("mec-a").sort()).toEqual(["5", "6"]);
  });
});
