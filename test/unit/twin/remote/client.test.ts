import http from "node:http";
import type { AddressInfo } from "node:net";
import axios from "axios";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isTwinCnfReady, RemoteTwinHost } from "../../../../functions/lib/twin/remote/client.ts";
import { twinHostHandler } from "../../../../functions/lib/twin/remote/server.ts";
import { MemoryTwinHost, snapshotOf } from "./fixtures.ts";

let server: http.Server;
let baseUrl: string;
let host: MemoryTwinHost;

async function serve(options: Parameters<typeof twinHostHandler>[1] = {}): Promise<void> {
  host = new MemoryTwinHost("mec-b");
  server = http.createServer(twinHostHandler(host, options));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("RemoteTwinHost against twinHostHandler", () => {
  beforeEach(() => serve({ station: "42" }));

  it("runs the migration's target side over HTTP: expect, hydrate, ready, status, snapshot, release", async () => {
    const remote = new RemoteTwinHost("mec-b", { baseUrl });
    await remote.expect("42");
    expect(await remote.isReady("42")).toBe(false);
    const snapshot = snapshotOf("42", "mec-a");
    await remote.hydrate(snapshot);
    expect(await remote.isReady("42")).toBe(true);
    await remote.setStatus("42", "migrating");
    const back = await remote.snapshot("42");
    expect(back?.twin).toMatchObject({ id: "42", mec: "mec-b", status: "migrating", sequence: 7 });
    expect(back?.appliedEventIds).toEqual(["e1", "e2"]);
    await remote.release("42");
    expect(await remote.snapshot("42")).toBeUndefined();
    expect(host.calls).toEqual([
      "expect 42",
      "isReady 42",
      "hydrate 42",
      "isReady 42",
      "setStatus 42 migrating",
      "snapshot 42",
      "release 42",
      "snapshot 42",
    ]);
  });

  it("encodes station ids in paths", async () => {
    const remote = new RemoteTwinHost("mec-b", { baseUrl });
    await remote.expect("a/b c");
    expect(host.calls).toEqual(["expect a/b c"]);
  });

  it("serves /ready for the CNF's own station: 503 until hydrated, then 200", async () => {
    const signal = new AbortController().signal;
    expect(await isTwinCnfReady(baseUrl, signal)).toBe(false);
    await host.hydrate(snapshotOf("42", "mec-a"));
    expect(await isTwinCnfReady(baseUrl, signal)).toBe(true);
    const health = await axios.get(`${baseUrl}/health`);
    expect(health.data).toEqual({ status: "ok" });
  });

  it("answers bad input with 400 and a message, never a crash", async () => {
    const bad = await axios.post(
      `${baseUrl}/twins/hydrate`,
      { twin: { id: 1 } },
      { validateStatus: () => true },
    );
    expect(bad.status).toBe(400);
    expect(typeof bad.data.error).toBe("string");
    const notJson = await axios.post(`${baseUrl}/twins/42/status`, "{", {
      headers: { "content-type": "application/json" },
      validateStatus: () => true,
      transformRequest: [(data) => data],
    });
    expect(notJson.status).toBe(400);
    const badStatus = await axios.post(
      `${baseUrl}/twins/42/status`,
      { status: "flying" },
      { validateStatus: () => true },
    );
    expect(badStatus.status).toBe(400);
    const unknown = await axios.get(`${baseUrl}/nothing`, { validateStatus: () => true });
    expect(unknown.status).toBe(404);
    const wrongMethod = await axios.put(`${baseUrl}/twins/42/expect`, {}, { validateStatus: () => true });
    expect(wrongMethod.status).toBe(405);
    expect(host.calls).toEqual([]);
  });

  it("turns a failing host into a 500 with its message, and the client into a clear error", async () => {
    host.failNext = new Error("store is down");
    const remote = new RemoteTwinHost("mec-b", { baseUrl });
    await expect(remote.expect("42")).rejects.toThrow(
      /mec-b: POST \/twins\/42\/expect answered 500: store is down/,
    );
  });
});

describe("twinHostHandler with a token", () => {
  beforeEach(() => serve({ token: "s3cret" }));

  it("refuses mutating calls without the bearer token and accepts them with it", async () => {
    await expect(new RemoteTwinHost("mec-b", { baseUrl }).expect("42")).rejects.toThrow(/answered 401/);
    await new RemoteTwinHost("mec-b", { baseUrl, token: "s3cret" }).expect("42");
    expect(host.calls).toEqual(["expect 42"]);
    expect(await new RemoteTwinHost("mec-b", { baseUrl }).isReady("42")).toBe(false);
  });
});

describe("RemoteTwinHost when nothing answers", () => {
  beforeEach(() => serve());

  it("fails with the MEC and the call in the message", async () => {
    await new Promise((resolve) => server.close(resolve));
    const remote = new RemoteTwinHost("mec-b", { baseUrl, timeoutMs: 500 });
    await expect(remote.isReady("42")).rejects.toThrow(/mec-b: GET \/twins\/42\/ready failed: ECONNREFUSED/);
    expect(await isTwinCnfReady(baseUrl, new AbortController().signal)).toBe(false);
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
});

describe("a twin CNF behind an ingress path", () => {
  const prefix = "/vvcu-twin-42-mec-b";

  beforeEach(async () => {
    host = new MemoryTwinHost("mec-b");
    const inner = twinHostHandler(host, { station: "42" });
    // The ingress routes only its own path and strips it, as a path-based Ingress does.
    server = http.createServer((request, response) => {
      if (!request.url?.startsWith(`${prefix}/`)) {
        response.writeHead(404).end();
        return;
      }
      request.url = request.url.slice(prefix.length);
      inner(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  });

  it("is asked for /ready and its twin calls under the base URL's path", async () => {
    const signal = new AbortController().signal;
    expect(await isTwinCnfReady(baseUrl, signal)).toBe(false);
    await host.hydrate(snapshotOf("42", "mec-a"));
    expect(await isTwinCnfReady(baseUrl, signal)).toBe(true);
    expect(await isTwinCnfReady(`${baseUrl}/`, signal)).toBe(true);
    const remote = new RemoteTwinHost("mec-b", { baseUrl });
    expect(await remote.isReady("42")).toBe(true);
    expect((await remote.snapshot("42"))?.twin.id).toBe("42");
  });
});

describe("the deployment a twin CNF keeps of its own twin", () => {
  const recorded = { driver: "osm", twin: "42", mec: "mec-b", ref: "ns:ns-7/op:op-9" };

  it("is kept when the driver records it and answered only while the twin lives there", async () => {
    await serve({ station: "42", deployment: { value: undefined } });
    const remote = new RemoteTwinHost("mec-b", { baseUrl });
    expect(await remote.deploymentOf("42")).toBeUndefined(); // not hydrated yet
    await host.hydrate(snapshotOf("42", "mec-a"));
    expect(await remote.deploymentOf("42")).toEqual({}); // lives here, nothing recorded (a restart)
    await remote.recordDeployment(recorded);
    expect(await remote.deploymentOf("42")).toEqual(recorded);
    await remote.release("42");
    expect(await remote.deploymentOf("42")).toBeUndefined();
  });

  it("refuses a deployment of another twin or a malformed one, and serves none for another station", async () => {
    await serve({ station: "42", deployment: { value: undefined } });
    const wrongTwin = await axios.put(
      `${baseUrl}/twins/42/deployment`,
      { ...recorded, twin: "43" },
      { validateStatus: () => true },
    );
    expect(wrongTwin.status).toBe(400);
    const malformed = await axios.put(
      `${baseUrl}/twins/42/deployment`,
      { ref: 1 },
      { validateStatus: () => true },
    );
    expect(malformed.status).toBe(400);
    const other = await axios.get(`${baseUrl}/twins/43/deployment`, { validateStatus: () => true });
    expect(other.status).toBe(405);
  });
});
