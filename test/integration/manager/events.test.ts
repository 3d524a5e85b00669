/**
 * GET /api/v1/events over real HTTP: what a client reads, the token, and a client that stops
 * reading (its connection fills; the server keeps one entry per twin for it, not a backlog).
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { SseParser } from "../../../functions/lib/console/page/sseParser.ts";
import { EventStream } from "../../../functions/lib/manager/eventStream.ts";
import { createManagerHandler } from "../../../functions/lib/manager/handler.ts";
import type { FeedState } from "../../../functions/lib/manager/liveFeed.ts";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../functions/lib/migration/journal/journal.ts";
import type { TwinMarker } from "../../../functions/lib/model/liveFeed.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { twinAt } from "../../unit/geofence/tracks.ts";
import { FakeDriver } from "../../unit/migration/fakeDriver.ts";

const silent = pino({ level: "silent" });
const MECS = [
  {
    id: "mec-a",
    name: "Aveiro North",
    zone: {
      type: "Polygon",
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    },
  },
  { id: "mec-b", name: "Aveiro South" },
];

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Reads an event stream until `until` holds for the events so far (or 5 s pass). */
async function readEvents(
  url: string,
  until: (events: { event: string; data: unknown }[]) => boolean,
  headers: Record<string, string> = {},
): Promise<{ event: string; data: unknown }[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5_000);
  const response = await fetch(url, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
  const events: { event: string; data: unknown }[] = [];
  const parser = new SseParser();
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      for (const e of parser.push(decoder.decode(chunk, { stream: true })))
        events.push({ event: e.event, data: JSON.parse(e.data) });
      if (until(events)) break;
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

async function startManager(apiToken?: string) {
  const twins: Twin[] = [twinAt(-500, 1, { id: "42" }), twinAt(700, 1, { id: "7", mec: "mec-b" })];
  const homes = new HomeRegistry();
  homes.setHome("42", "mec-a");
  homes.setHome("7", "mec-b");
  const engine = new MigrationEngine({
    mecs: MECS.map((mec) => mec.id),
    driverFor: () => new FakeDriver("fake"),
    homes,
    journal: new MemoryJournal(),
    sink: new CollectingSink(),
    logger: silent,
  });
  const handler = createManagerHandler({
    twins: {
      list: async () => [...twins],
      get: async (id) => twins.find((twin) => twin.id === id),
      candidates: async () => [...twins],
      history: async () => undefined,
    },
    mecs: MECS,
    homes,
    migrations: engine,
    apiToken,
    rejectedMessages: () => 4,
    eventIntervalMs: 20,
    logger: silent,
  });
  closers.push(() => handler.close());
  const url = await listen(createServer((req, res) => void handler(req, res)));
  return { url, twins, engine };
}

describe("GET /api/v1/events", () => {
  it("streams every twin and the figures first, then a moved twin and a migration as they change", async () => {
    const { url, twins } = await startManager();
    const first = await readEvents(`${url}/api/v1/events`, (events) =>
      events.some((e) => e.event === "figures"),
    );
    expect(first.filter((e) => e.event === "twin").map((e) => (e.data as TwinMarker).id)).toEqual([
      "42",
      "7",
    ]);
    expect(first.find((e) => e.event === "figures")?.data).toMatchObject({
      twins: 2,
      mecs: [
        { id: "mec-a", twins: 1 },
        { id: "mec-b", twins: 1 },
      ],
      rejected: 4,
    });

    const reading = readEvents(`${url}/api/v1/events`, (events) =>
      events.some((e) => e.event === "migration" && (e.data as { status: string }).status === "completed"),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    twins[0] = twinAt(-400, 2, { id: "42" });
    const accepted = await fetch(`${url}/api/v1/twins/42/migrations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target: "mec-b" }),
    });
    expect(accepted.status).toBe(202);
    const events = await reading;
    const moved = events.filter((e) => e.event === "twin" && (e.data as TwinMarker).id === "42");
    expect(moved.at(-1)?.data).toMatchObject({
      lat: twinAt(-400, 2).position?.lat,
      lon: twinAt(-400, 2).position?.lon,
    });
    const migrations = events
      .filter((e) => e.event === "migration")
      .map((e) => e.data as { twin: string; to: string; status: string });
    expect(migrations.at(-1)).toMatchObject({ twin: "42", to: "mec-b", status: "completed" });
  });

  it("needs the bearer token when one is set", async () => {
    const { url } = await startManager("s3cret");
    const refused = await fetch(`${url}/api/v1/events`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/Bearer/);
    const events = await readEvents(`${url}/api/v1/events`, (e) => e.length > 0, {
      Authorization: "Bearer s3cret",
    });
    expect(events[0]?.event).toBe("twin");
  });

  it("serves the zones as GeoJSON, the console page and its bundled script", async () => {
    const { url } = await startManager();
    const zones = (await (await fetch(`${url}/api/v1/zones`)).json()) as { features: { id: string }[] };
    expect(zones.features.map((f) => f.id)).toEqual(["mec-a"]);
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain('src="console/app.js"');
    const script = await fetch(`${url}/console/app.js`);
    expect(script.headers.get("content-type")).toMatch(/javascript/);
    // Leaflet is in the bundle: nothing is fetched from elsewhere.
    expect(await script.text()).toMatch(/leaflet/i);
    const docs = await fetch(`${url}/docs/swagger-ui-bundle.js`);
    expect(docs.status).toBe(200);
  });
});

describe("EventStream with a client that does not read", () => {
  it("stops writing when the connection is full, keeps one entry per twin, and sends the latest state when it reads again", async () => {
    const TWINS = 2_000;
    let round = 0;
    const read = async (): Promise<FeedState> => {
      round++;
      const twins = Array.from({ length: TWINS }, (_, i) => ({
        id: String(i),
        stationType: "passengerCar",
        mec: "mec-a",
        status: "stable" as const,
        liveness: "live" as const,
        lat: 40 + round / 1e6,
        lon: -8.6 - i / 1e5,
      }));
      return {
        twins,
        migrations: [],
        figures: {
          twins: TWINS,
          mecs: [],
          messagesPerS: round,
          migrations: { running: 0, completed: 0, failed: 0, "rolled-back": 0 },
        },
      };
    };
    const stream = new EventStream({ read, intervalMs: 5, logger: silent });
    closers.push(() => stream.close());
    let response: ServerResponse | undefined;
    const url = new URL(
      await listen(
        createServer((_req, res) => {
          response = res;
          stream.attach(res);
        }),
      ),
    );
    const socket = net.connect(Number(url.port), url.hostname);
    closers.push(() => void socket.destroy());
    socket.setNoDelay(true);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.pause();
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);

    // Until the connection is full (kernel buffers both sides, then Node's), then well beyond.
    const deadline = Date.now() + 20_000;
    while (!stream.clientStats()[0]?.blocked && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(stream.clientStats()[0]?.blocked).toBe(true);
    const roundBlocked = round;
    while (round < roundBlocked + 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const [stats] = stream.clientStats();
    expect(stats?.blocked).toBe(true);
    expect(stats?.pending).toBeLessThanOrEqual(TWINS + 1);
    // What Node holds for the socket is at most one chunk past its high-water mark.
    expect(response?.writableLength ?? 0).toBeLessThanOrEqual(64 * 1024 + 16 * 1024 + 2_000);

    // Reading again: the latest position of twin 0 arrives.
    const parser = new SseParser();
    const latest = new Map<string, number>();
    let figuresRound = 0;
    const stopAt = round + 5;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the latest state never came")), 20_000);
      socket.on("data", (chunk: Buffer) => {
        for (const e of parser.push(chunk.toString("utf8"))) {
          const data = JSON.parse(e.data) as { id: string; lat: number; messagesPerS: number };
          if (e.event === "twin") latest.set(data.id, data.lat);
          if (e.event === "figures") figuresRound = data.messagesPerS;
        }
        if (figuresRound >= stopAt && (latest.get("0") ?? 0) >= 40 + stopAt / 1e6) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.resume();
    });
    expect(latest.size).toBe(TWINS);
  }, 60_000);
});
