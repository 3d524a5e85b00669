/** The migration function's HTTP entry: CloudEvents from Knative, and the manager's control calls. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudEvent, HTTP } from "cloudevents";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { RemoteMigrationControl } from "../../../functions/lib/manager/remoteMigrations.ts";
import { migrationControlHandler } from "../../../functions/lib/migration/control.ts";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../functions/lib/migration/journal/journal.ts";
import { driverSelector } from "../../../functions/lib/migration/select.ts";
import type { MigrationRequest } from "../../../functions/lib/model/migration.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { FakeDriver } from "./fakeDriver.ts";

const silent = pino({ level: "silent" });
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

const request = (overrides: Partial<MigrationRequest> = {}): MigrationRequest => ({
  id: "m-1",
  twin: "42",
  from: "mec-a",
  to: "mec-b",
  trigger: "geofence",
  reason: "entered-zone",
  requestedAt: "2026-11-28T07:00:00.000Z",
  ...overrides,
});

async function start(holdReady = false, apiToken?: string) {
  let open: () => void = () => {};
  const readyGate = holdReady ? new Promise<void>((resolve) => (open = resolve)) : undefined;
  const homes = new HomeRegistry();
  homes.setHome("42", "mec-a");
  const driver = new FakeDriver("fake", { readyGate });
  const engine = new MigrationEngine({
    mecs: ["mec-a", "mec-b"],
    driverFor: () => driver,
    homes,
    journal: new MemoryJournal(),
    sink: new CollectingSink(),
    logger: silent,
  });
  const handler = migrationControlHandler(engine, apiToken === undefined ? {} : { apiToken });
  const server = createServer((req, res) => void handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, engine, open };
}

describe("migration control handler", () => {
  it("takes migration.requested CloudEvents in binary and structured mode; duplicates are acknowledged", async () => {
    const { url, engine } = await start();
    const event = new CloudEvent({ type: "io.vvcu.migration.requested", source: "/test", data: request() });
    const binary = HTTP.binary(event);
    const first = await fetch(url, {
      method: "POST",
      headers: binary.headers as Record<string, string>,
      body: binary.body as string,
    });
    expect(first.status).toBe(202);
    expect(((await first.json()) as { kind: string }).kind).toBe("started");
    const structured = HTTP.structured(event);
    const again = await fetch(url, {
      method: "POST",
      headers: structured.headers as Record<string, string>,
      body: structured.body as string,
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { kind: string }).kind).toBe("duplicate");
    expect((await engine.settled("m-1"))?.status).toBe("completed");
    const bad = await fetch(url, { method: "POST", headers: { "ce-type": "x" }, body: "{}" });
    expect(bad.status).toBe(400);
  });

  it("serves the manager's calls through RemoteMigrationControl: started, conflict, rejected, list", async () => {
    const { url, engine, open } = await start(true);
    const remote = new RemoteMigrationControl({ url, timeoutMs: 5000 });
    expect((await remote.request(request())).kind).toBe("started");
    const conflict = await remote.request(request({ id: "m-2" }));
    expect(conflict.kind).toBe("conflict");
    open();
    await engine.settled("m-1");
    expect(await remote.request(request({ id: "m-3", to: "mec-z" }))).toEqual({
      kind: "rejected",
      code: "unknown-target",
      error: 'unknown target MEC "mec-z"',
    });
    const listed = await remote.list({ twin: "42" });
    expect(listed.map((migration) => [migration.id, migration.status])).toEqual([["m-1", "completed"]]);
    expect(await remote.list({ twin: "7" })).toEqual([]);
    const bad = await fetch(`${url}/migrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(bad.status).toBe(400);
    const plain = await fetch(`${url}/migrations`, { method: "POST", body: JSON.stringify(request()) });
    expect(plain.status).toBe(415);
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
  });
});

describe("migration control handler with a token", () => {
  it("answers the manager's calls only with it; Knative's CloudEvents need none", async () => {
    const { url, engine } = await start(false, "cluster-token");
    await expect(new RemoteMigrationControl({ url, timeoutMs: 5000 }).list()).rejects.toThrow(
      "migration function answered 401 to GET /migrations",
    );
    const forged = await fetch(`${url}/migrations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request()),
    });
    expect(forged.status).toBe(401);
    const remote = new RemoteMigrationControl({ url, timeoutMs: 5000, apiToken: "cluster-token" });
    expect((await remote.request(request())).kind).toBe("started");
    expect((await engine.settled("m-1"))?.status).toBe("completed");
    expect((await remote.list()).map((migration) => migration.id)).toEqual(["m-1"]);

    const event = new CloudEvent({
      type: "io.vvcu.migration.requested",
      source: "/test",
      data: request({ id: "m-2", from: "mec-b", to: "mec-a" }),
    });
    const binary = HTTP.binary(event);
    const delivered = await fetch(url, {
      method: "POST",
      headers: binary.headers as Record<string, string>,
      body: binary.body as string,
    });
    expect(delivered.status).toBe(202);
  });
});

describe("driverSelector", () => {
  const local = new FakeDriver("local");
  const kubernetes = new FakeDriver("kubernetes");
  const topology = {
    defaults: { driver: "local" },
    mecs: [{ id: "mec-a" }, { id: "mec-b", driver: "kubernetes" }],
  };

  it("uses the MEC's driver, else the default", () => {
    const driverFor = driverSelector(topology, { local, kubernetes });
    expect(driverFor("mec-a")).toBe(local);
    expect(driverFor("mec-b")).toBe(kubernetes);
    expect(() => driverFor("mec-z")).toThrow('no MEC "mec-z" in the topology');
  });

  it("fails at once when a MEC's driver is not available", () => {
    expect(() => driverSelector(topology, { local })).toThrow(
      "MEC mec-b uses the kubernetes driver, which is not available here (available: local)",
    );
  });
});
