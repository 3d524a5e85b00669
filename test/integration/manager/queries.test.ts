/**
 * The read API over real twin services of two MECs: geo queries, filters, pages while twins
 * move, hazards and history, through HTTP.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CitsMessage } from "../../../functions/lib/cits/types.ts";
import { destinationPoint } from "../../../functions/lib/geo/sphere.ts";
import { directoryOverHosts } from "../../../functions/lib/manager/directory.ts";
import { createManagerHandler } from "../../../functions/lib/manager/handler.ts";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../functions/lib/migration/journal/journal.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { TwinService } from "../../../functions/lib/twin/service.ts";
import { MemoryTwinStore } from "../../../functions/lib/twin/store/memoryStore.ts";
import { FakeDriver } from "../../unit/migration/fakeDriver.ts";
import { citsEvent } from "../../unit/twin/events.ts";
import { cam, denm } from "../../unit/twin/messages.ts";

const silent = pino({ level: "silent" });
const P = { lat: 40.63, lon: -8.65 };
const T0 = Date.parse("2026-12-03T10:00:00.000Z");
let now = T0;
let sequence = 0;
let eventId = 0;

const hosts = ["mec-a", "mec-b"].map(
  (mec) =>
    new TwinService({
      mec,
      store: new MemoryTwinStore(),
      sink: new CollectingSink(),
      clock: () => now,
      options: { historyIntervalMs: 1_000 },
    }),
);
const [mecA, mecB] = hosts as [TwinService, TwinService];

async function send(host: TwinService, message: CitsMessage): Promise<void> {
  expect(await host.handle(citsEvent(message, `e-${++eventId}`))).toBe("applied");
}
/** A CAM of `id` `metres` from P on `bearing`. */
function at(id: string, metres: number, bearing: number, fields: Parameters<typeof cam>[2] = {}) {
  return cam(id, ++sequence, { position: destinationPoint(P, bearing, metres), ...fields });
}

let server: Server;
let url = "";
beforeAll(async () => {
  const homes = new HomeRegistry();
  const engine = new MigrationEngine({
    mecs: ["mec-a", "mec-b"],
    driverFor: () => new FakeDriver("fake"),
    homes,
    journal: new MemoryJournal(),
    sink: new CollectingSink(),
    logger: silent,
  });
  const handler = createManagerHandler({
    twins: directoryOverHosts(new Map(hosts.map((host) => [host.mec, host]))),
    mecs: [{ id: "mec-a" }, { id: "mec-b" }],
    migrations: engine,
    now: () => new Date(now),
    logger: silent,
  });
  server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // 1 at P, 3 100 m north (mec-b), 2 250 m east (a bus), 10 400 m south (mec-b), 20 2 km west
  await send(mecA, at("1", 0, 0));
  await send(mecB, at("3", 100, 0));
  await send(mecA, at("2", 250, 90, { stationType: "bus" }));
  await send(mecB, at("10", 400, 180));
  await send(mecA, at("20", 2_000, 270));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string) => fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
async function ids(path: string): Promise<string[]> {
  const response = await get(path);
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }[]).map((twin) => twin.id);
}

describe("GET /api/v1/twins with a query", () => {
  it("near: nearest first across both MECs, with distances", async () => {
    const response = await get(`/api/v1/twins?near=${P.lat},${P.lon}&radius=300&fields=id,mec`);
    expect(await response.json()).toEqual([
      { id: "1", mec: "mec-a", distanceFromPointM: expect.closeTo(0, 3) },
      { id: "3", mec: "mec-b", distanceFromPointM: expect.closeTo(100, 3) },
      { id: "2", mec: "mec-a", distanceFromPointM: expect.closeTo(250, 3) },
    ]);
  });

  it("works out the neighbours of the twins in an area when the answer shows them", async () => {
    // Neighbours are those of the twin's own MEC: 1 and 2 are on mec-a, 250 m apart.
    const near = `near=${P.lat},${P.lon}&radius=300&mec=mec-a`;
    const withNeighbours = [
      { id: "1", neighbours: [{ id: "2", distanceM: expect.closeTo(250, 3), relativeSpeed: 0 }] },
      { id: "2", neighbours: [{ id: "1", distanceM: expect.closeTo(250, 3), relativeSpeed: 0 }] },
    ];
    const asked = await get(`/api/v1/twins?${near}&fields=id,neighbours`);
    expect(await asked.json()).toEqual(
      withNeighbours.map((twin) => ({ ...twin, distanceFromPointM: expect.any(Number) })),
    );
    const whole = (await (await get(`/api/v1/twins?${near}`)).json()) as Record<string, unknown>[];
    expect(whole.map(({ id, neighbours }) => ({ id, neighbours }))).toEqual(withNeighbours);
    const box = `bbox=${P.lon - 0.0001},${P.lat - 0.0001},${destinationPoint(P, 90, 1_000).lon},${P.lat + 0.0001}`;
    expect(await (await get(`/api/v1/twins?${box}&fields=id,mec`)).json()).toEqual([
      { id: "1", mec: "mec-a" },
      { id: "2", mec: "mec-a" },
    ]);
  });

  it("bbox, mec, stationType and their combinations", async () => {
    const north = destinationPoint(P, 0, 1_000).lat;
    const east = destinationPoint(P, 90, 1_000).lon;
    const box = `bbox=${P.lon - 0.0001},${P.lat - 0.0001},${east},${north}`;
    expect(await ids(`/api/v1/twins?${box}`)).toEqual(["1", "2", "3"]);
    expect(await ids("/api/v1/twins?mec=mec-b")).toEqual(["3", "10"]);
    expect(await ids("/api/v1/twins?stationType=bus")).toEqual(["2"]);
    expect(await ids(`/api/v1/twins?${box}&mec=mec-a&stationType=passengerCar`)).toEqual(["1"]);
    expect(await ids(`/api/v1/twins?near=${P.lat},${P.lon}&radius=500&order=id&liveness=live`)).toEqual([
      "1",
      "2",
      "3",
      "10",
    ]);
  });

  it("pages by id while twins move: each once, the cursor in X-Next-Cursor", async () => {
    const seen: string[] = [];
    let path = "/api/v1/twins?limit=2&fields=id";
    for (let page = 0; page < 10; page++) {
      const response = await get(path);
      seen.push(...((await response.json()) as { id: string }[]).map((twin) => twin.id));
      const cursor = response.headers.get("x-next-cursor");
      if (cursor === null) break;
      expect(response.headers.get("link")).toBe(
        `</api/v1/twins?limit=2&fields=id&cursor=${cursor}>; rel="next"`,
      );
      // every twin moves 30 m between pages
      for (const id of ["1", "2", "20"]) await send(mecA, at(id, 30 * (page + 1), 45));
      for (const id of ["3", "10"]) await send(mecB, at(id, 30 * (page + 1), 225));
      path = `/api/v1/twins?limit=2&fields=id&cursor=${cursor}`;
    }
    expect(seen).toEqual(["1", "2", "3", "10", "20"]);
  });

  it("refuses bad parameters with a 400 naming the parameter and the rule", async () => {
    const cases: [string, string][] = [
      [
        "bbox=1,2,3",
        'query parameter "bbox": must be 4 comma-separated numbers: minLon,minLat,maxLon,maxLat',
      ],
      ["near=40,-8", 'query parameter "radius": required with near'],
      ["limit=0", 'query parameter "limit": must be a whole number from 1 to 1000'],
      ["sort=id", 'unknown query parameter "sort"'],
    ];
    for (const [query, message] of cases) {
      const response = await get(`/api/v1/twins?${query}`);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(message);
    }
  });
});

describe("GET /api/v1/hazards", () => {
  it("lists valid DENM events with their reporters, and drops cancelled ones", async () => {
    const roadworks = destinationPoint(P, 0, 50);
    const fields = {
      stationType: "roadSideUnit",
      actionId: "rsu-1:7",
      eventType: { causeCode: 3, description: "roadworks" },
      eventPosition: roadworks,
      detectionTimeMs: now,
      validityDurationS: 600,
    };
    await send(mecA, denm("rsu-1", ++sequence, fields));
    const response = await get(`/api/v1/hazards?near=${P.lat},${P.lon}&radius=100`);
    expect(await response.json()).toEqual([
      {
        actionId: "rsu-1:7",
        causeCode: 3,
        description: "roadworks",
        position: roadworks,
        validUntil: new Date(now + 600_000).toISOString(),
        reportingStations: ["rsu-1"],
        distanceFromPointM: expect.closeTo(50, 3),
      },
    ]);
    expect(await (await get(`/api/v1/hazards?near=${P.lat - 0.1},${P.lon}&radius=100`)).json()).toEqual([]);
    await send(mecA, denm("rsu-1", ++sequence, { ...fields, termination: "isCancellation" }));
    expect(await (await get("/api/v1/hazards")).json()).toEqual([]);
    expect((await get("/api/v1/hazards?radius=5")).status).toBe(400);
  });
});

describe("GET /api/v1/twins/{id}/history", () => {
  it("answers the samples in the range, only the fields asked for", async () => {
    for (let s = 1; s <= 4; s++) {
      now = T0 + s * 1_000;
      await send(mecB, at("77", s * 10, 0, { speed: s }));
    }
    const since = new Date(T0 + 2_000).toISOString();
    const until = new Date(T0 + 3_000).toISOString();
    const response = await get(`/api/v1/twins/77/history?since=${since}&until=${until}&fields=speed`);
    expect(await response.json()).toEqual({
      id: "77",
      mec: "mec-b",
      samples: [
        { time: since, speed: 2 },
        { time: until, speed: 3 },
      ],
    });
    const all = (await (await get("/api/v1/twins/77/history")).json()) as {
      samples: unknown[];
      objects: unknown[];
    };
    expect(all.samples).toHaveLength(4);
    expect(all.objects).toEqual([]);
    expect((await get("/api/v1/twins/nobody/history")).status).toBe(404);
    const reversed = await get(`/api/v1/twins/77/history?since=${until}&until=${since}`);
    expect(reversed.status).toBe(400);
    expect(await reversed.json()).toEqual({ error: 'query parameter "since": must not be after until' });
  });
});
