import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, get as httpGet, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { TwinDirectory } from "../../../functions/lib/manager/directory.ts";
import { createManagerHandler } from "../../../functions/lib/manager/handler.ts";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../functions/lib/migration/journal/journal.ts";
import type { Migration } from "../../../functions/lib/model/migration.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { apiTokenFromConfig } from "../../../functions/lib/runtime/auth.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { twinAt } from "../../unit/geofence/tracks.ts";
import { FakeDriver } from "../../unit/migration/fakeDriver.ts";

const silent = pino({ level: "silent" });
const TOKEN = "s3cret-token";
const MECS = [
  { id: "mec-a", name: "Aveiro North" },
  { id: "mec-b", name: "Aveiro South" },
];

interface Api {
  url: string;
  engine: MigrationEngine;
  homes: HomeRegistry;
  open: () => void;
  server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startApi(options: { apiToken?: string; holdReady?: boolean } = {}): Promise<Api> {
  const twins: Twin[] = [twinAt(-500, 1, { id: "42" }), twinAt(700, 1, { id: "7", mec: "mec-b" })];
  const directory: TwinDirectory = {
    list: async () => twins,
    get: async (id) => twins.find((twin) => twin.id === id),
    candidates: async () => twins,
    history: async () => undefined,
  };
  const homes = new HomeRegistry();
  homes.setHome("42", "mec-a");
  homes.setHome("7", "mec-b");
  let open: () => void = () => {};
  const readyGate = options.holdReady
    ? new Promise<void>((resolve) => {
        open = resolve;
      })
    : undefined;
  const driver = new FakeDriver("fake", { readyGate });
  const engine = new MigrationEngine({
    mecs: MECS.map((mec) => mec.id),
    driverFor: () => driver,
    homes,
    journal: new MemoryJournal(),
    sink: new CollectingSink(),
    logger: silent,
  });
  let sequence = 0;
  const handler = createManagerHandler({
    twins: directory,
    mecs: MECS,
    homes,
    migrations: engine,
    apiToken: options.apiToken,
    newMigrationId: () => `man-${++sequence}`,
    now: () => new Date("2026-11-28T07:00:00.000Z"),
    logger: silent,
  });
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, engine, homes, open, server };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
const get = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers, signal: AbortSignal.timeout(5000) });

describe("manager API", () => {
  it("GET /health", async () => {
    const { url } = await startApi();
    const response = await get(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("GET /api/v1/twins and /api/v1/twins/{id}, 404 for an unknown twin", async () => {
    const { url } = await startApi();
    const list = (await (await get(`${url}/api/v1/twins`)).json()) as Twin[];
    expect(list.map((twin) => [twin.id, twin.mec])).toEqual([
      ["42", "mec-a"],
      ["7", "mec-b"],
    ]);
    const one = await get(`${url}/api/v1/twins/42`);
    expect(one.status).toBe(200);
    const twin = (await one.json()) as Twin;
    expect(twin).toMatchObject({
      id: "42",
      stationType: "passengerCar",
      mec: "mec-a",
      status: "stable",
      speed: 14,
    });
    expect(twin.position?.lon).toBeLessThan(-8.64);
    const missing = await get(`${url}/api/v1/twins/999`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no twin "999"' });
  });

  it("GET /api/v1/mecs lists the topology's MECs with their twins", async () => {
    const { url } = await startApi();
    expect(await (await get(`${url}/api/v1/mecs`)).json()).toEqual([
      { id: "mec-a", name: "Aveiro North", twins: ["42"] },
      { id: "mec-b", name: "Aveiro South", twins: ["7"] },
    ]);
  });

  it("POST a migration: 202 running, then listed newest first and filtered by twin", async () => {
    const { url, engine, homes } = await startApi();
    const response = await post(`${url}/api/v1/twins/42/migrations`, { target: "mec-b" });
    expect(response.status).toBe(202);
    const migration = (await response.json()) as Migration;
    expect(migration).toMatchObject({
      id: "man-1",
      twin: "42",
      from: "mec-a",
      to: "mec-b",
      trigger: "manual",
      reason: "manual",
      status: "running",
      requestedAt: "2026-11-28T07:00:00.000Z",
    });
    await engine.settled("man-1");
    expect(homes.homeOf("42")).toBe("mec-b");
    expect((await post(`${url}/api/v1/twins/7/migrations`, { target: "mec-a" })).status).toBe(202);
    await engine.settled("man-2");

    const all = (await (await get(`${url}/api/v1/migrations`)).json()) as Migration[];
    expect(all.map((m) => [m.id, m.status])).toEqual([
      ["man-2", "completed"],
      ["man-1", "completed"],
    ]);
    expect(all[1]?.timeUntilReadyMs).toBeGreaterThan(0);
    expect(all[1]?.timeUntilDoneMs).toBeGreaterThan(0);
    const only = (await (await get(`${url}/api/v1/migrations?twin=42`)).json()) as Migration[];
    expect(only.map((m) => m.id)).toEqual(["man-1"]);
    expect(await (await get(`${url}/api/v1/migrations?twin=nobody`)).json()).toEqual([]);
  });

  it("POST a migration: 404 unknown twin, 400 unknown or same target or bad body", async () => {
    const { url } = await startApi();
    const cases: [string, unknown, number, RegExp][] = [
      ["999", { target: "mec-b" }, 404, /no twin "999"/],
      ["42", { target: "mec-z" }, 400, /unknown target MEC "mec-z"/],
      ["42", { target: "mec-a" }, 400, /already lives at mec-a/],
      ["42", {}, 400, /bad body/],
      ["42", { target: "mec-b", extra: 1 }, 400, /bad body/],
      ["42", { target: 5 }, 400, /bad body/],
      ["42", "{not json", 400, /not valid JSON/],
      ["42", "", 400, /expected JSON/],
      ["42", [1, 2], 400, /bad body/],
    ];
    for (const [twin, body, status, message] of cases) {
      const response = await post(`${url}/api/v1/twins/${twin}/migrations`, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      expect(((await response.json()) as { error: string }).error).toMatch(message);
    }
  });

  it("POST a migration while one runs: 409", async () => {
    const { url, engine, open } = await startApi({ holdReady: true });
    expect((await post(`${url}/api/v1/twins/42/migrations`, { target: "mec-b" })).status).toBe(202);
    const second = await post(`${url}/api/v1/twins/42/migrations`, { target: "mec-b" });
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({ error: "migration man-1 of twin 42 is running" });
    open();
    expect((await engine.settled("man-1"))?.status).toBe("completed");
  });

  it("with a token: 401 without or with a wrong bearer, 202 with the right one", async () => {
    const { url } = await startApi({ apiToken: TOKEN });
    const target = `${url}/api/v1/twins/42/migrations`;
    const without = await post(target, { target: "mec-b" });
    expect(without.status).toBe(401);
    expect(without.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await without.json()).toEqual({ error: "missing or wrong bearer token" });
    expect((await post(target, { target: "mec-b" }, { Authorization: "Bearer wrong" })).status).toBe(401);
    expect((await post(target, { target: "mec-b" }, { Authorization: `Basic ${TOKEN}` })).status).toBe(401);
    // Auth comes before anything else: an unknown twin is not revealed to a caller without the token.
    expect((await post(`${url}/api/v1/twins/999/migrations`, { target: "mec-b" })).status).toBe(401);
    expect((await post(target, { target: "mec-b" }, { Authorization: `Bearer ${TOKEN}` })).status).toBe(202);
  });

  it("with a token: every data path needs it, reads too, and unknown paths are not told apart", async () => {
    const { url } = await startApi({ apiToken: TOKEN });
    const guarded = [
      "/api/v1/twins",
      "/api/v1/twins/42",
      "/api/v1/mecs",
      "/api/v1/migrations",
      "/openapi.json",
      "/metrics",
      "/api/v1/nothing",
    ];
    for (const route of guarded) {
      const response = await get(`${url}${route}`);
      expect(response.status, route).toBe(401);
      expect(await response.json(), route).toEqual({ error: "missing or wrong bearer token" });
      const wrong = await get(`${url}${route}`, { Authorization: "Bearer wrong" });
      expect(wrong.status, route).toBe(401);
    }
    for (const route of guarded.slice(0, -1)) {
      expect((await get(`${url}${route}`, { Authorization: `Bearer ${TOKEN}` })).status, route).toBe(200);
    }
    expect((await get(`${url}/health`)).status).toBe(200);
    // The pages hold no data: a browser loads them first, and they ask for the token.
    expect((await get(`${url}/`)).status).toBe(200);
    expect((await get(`${url}/docs`)).status).toBe(200);
  });

  it("takes only application/json bodies (415) from no other site's page (403), token or not", async () => {
    for (const apiToken of [undefined, TOKEN]) {
      const { url } = await startApi(apiToken === undefined ? {} : { apiToken });
      const auth: Record<string, string> =
        apiToken === undefined ? {} : { Authorization: `Bearer ${apiToken}` };
      const target = `${url}/api/v1/twins/42/migrations`;
      const send = (headers: Record<string, string>) =>
        fetch(target, {
          method: "POST",
          headers: { ...auth, ...headers },
          body: JSON.stringify({ target: "mec-b" }),
          signal: AbortSignal.timeout(5000),
        });
      const plain = await send({ "Content-Type": "text/plain" });
      expect(plain.status).toBe(415);
      expect(((await plain.json()) as { error: string }).error).toBe(
        "body must be application/json, not text/plain",
      );
      const form = await send({ "Content-Type": "application/x-www-form-urlencoded" });
      expect(form.status).toBe(415);
      const foreign = await send({ "Content-Type": "application/json", Origin: "https://evil.example" });
      expect(foreign.status).toBe(403);
      expect(((await foreign.json()) as { error: string }).error).toBe(
        "cross-origin request refused (Origin: https://evil.example)",
      );
      const crossSite = await send({ "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" });
      expect(crossSite.status).toBe(403);
      // The server's own page (its Origin is the Host asked) may.
      const own = await send({ "Content-Type": "application/json; charset=utf-8", Origin: url });
      expect(own.status).toBe(202);
    }
  });

  it("serves the OpenAPI document, the docs page and the metrics", async () => {
    const { url } = await startApi();
    const document = (await (await get(`${url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(document.openapi).toBe("3.0.3");
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        "/health",
        "/api/v1/twins",
        "/api/v1/twins/{id}",
        "/api/v1/twins/{id}/history",
        "/api/v1/hazards",
        "/api/v1/mecs",
        "/api/v1/migrations",
        "/api/v1/twins/{id}/migrations",
        "/api/v1/zones",
        "/api/v1/events",
        "/metrics",
      ].sort(),
    );
    expect(
      Object.keys(document.paths["/api/v1/twins/{id}/migrations"]?.post?.responses ?? {}).sort(),
    ).toEqual(["202", "400", "401", "403", "404", "409", "415"]);
    expect(document.paths["/api/v1/twins"]?.get).toMatchObject({ security: [{ bearer: [] }] });
    expect(document.paths["/health"]?.get).not.toHaveProperty("security");
    for (const field of [
      "id",
      "stationType",
      "mec",
      "status",
      "position",
      "speed",
      "heading",
      "lastSeen",
      "messages",
    ]) {
      expect(document.components.schemas.Twin?.properties).toHaveProperty(field);
    }
    for (const field of [
      "id",
      "twin",
      "from",
      "to",
      "trigger",
      "status",
      "requestedAt",
      "timeUntilReadyMs",
    ]) {
      expect(document.components.schemas.Migration?.properties).toHaveProperty(field);
    }

    const docs = await get(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/text\/html/);
    const html = await docs.text();
    // Swagger UI, from node_modules through this server, over the same document.
    expect(html).toContain('src="docs/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(await (await get(`${url}/docs/init.js`)).text()).toContain('url: "openapi.json"');
    const bundle = await get(`${url}/docs/swagger-ui-bundle.js`);
    expect(bundle.headers.get("content-type")).toMatch(/javascript/);
    expect(await bundle.text()).toContain("SwaggerUIBundle");
    const slash = await fetch(`${url}/docs/`, { redirect: "manual", signal: AbortSignal.timeout(5000) });
    expect(slash.status).toBe(308);

    const metrics = await get(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/vvcu_api_requests_total\{route="\/docs",status="200"\} \d+/);
  });

  it("answers unknown paths with 404 and wrong methods with 405, as JSON", async () => {
    const { url } = await startApi();
    const unknown = await get(`${url}/api/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "no such path: /api/v1/nothing" });
    const wrong = await fetch(`${url}/api/v1/twins`, { method: "DELETE", signal: AbortSignal.timeout(5000) });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET");
    const badEscape = await get(`${url}/api/v1/twins/%E0%A4%A`);
    expect(badEscape.status).toBe(400);
  });
});

describe("manager API on loopback only", () => {
  it("answers only requests that name this machine (DNS rebinding)", async () => {
    const twins: Twin[] = [twinAt(-500, 1, { id: "42" })];
    const handler = createManagerHandler({
      twins: {
        list: async () => twins,
        get: async (id) => twins.find((twin) => twin.id === id),
        candidates: async () => twins,
        history: async () => undefined,
      },
      mecs: MECS,
      migrations: { request: async () => Promise.reject(new Error("not here")), list: async () => [] },
      loopbackOnly: true,
      logger: silent,
    });
    const server = createServer((req, res) => void handler(req, res));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpGet(
          { host: "127.0.0.1", port, path: "/api/v1/twins", headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        request.on("error", reject);
      });
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      "localhost",
      "host.docker.internal:8080",
    ]) {
      expect(await status(host), host).toBe(200);
    }
    for (const host of [`rebind.example:${port}`, "192.168.1.5", `127.0.0.1.evil.example:${port}`]) {
      expect(await status(host), host).toBe(403);
    }
  });
});

describe("apiTokenFromConfig", () => {
  it("reads the token from the variable or a mounted file, and fails clearly on a bad file", async () => {
    expect(apiTokenFromConfig({ VVCU_API_TOKEN: "abc", VVCU_API_TOKEN_FILE: undefined })).toBe("abc");
    expect(apiTokenFromConfig({ VVCU_API_TOKEN: undefined, VVCU_API_TOKEN_FILE: undefined })).toBeUndefined();
    const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-token-"));
    try {
      const file = path.join(dir, "token");
      await writeFile(file, "from-file\n");
      expect(apiTokenFromConfig({ VVCU_API_TOKEN: undefined, VVCU_API_TOKEN_FILE: file })).toBe("from-file");
      expect(() =>
        apiTokenFromConfig({ VVCU_API_TOKEN: undefined, VVCU_API_TOKEN_FILE: path.join(dir, "no") }),
      ).toThrow(/VVCU_API_TOKEN_FILE: cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
