/**
 * The manager as the Knative Service runs it, under functions-framework (express): the console's
 * page is served, and the event stream goes out as it comes, not buffered until the end.
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import * as functions from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SseParser } from "../../../functions/lib/console/page/sseParser.ts";
import { createManagerHandler, type ManagerHandler } from "../../../functions/lib/manager/handler.ts";
import { MigrationEngine } from "../../../functions/lib/migration/engine/engine.ts";
import { MemoryJournal } from "../../../functions/lib/migration/journal/journal.ts";
import { CollectingSink } from "../../../functions/lib/runtime/emit/sink.ts";
import { HomeRegistry } from "../../../functions/lib/runtime/homeRegistry.ts";
import { twinAt } from "../../unit/geofence/tracks.ts";
import { FakeDriver } from "../../unit/migration/fakeDriver.ts";

const silent = pino({ level: "silent" });
let server: http.Server;
let url = "";
let handler: ManagerHandler;

beforeAll(async () => {
  const twins = [twinAt(-500, 1, { id: "42" })];
  handler = createManagerHandler({
    twins: {
      list: async () => twins,
      get: async (id) => twins.find((twin) => twin.id === id),
      candidates: async () => twins,
      history: async () => undefined,
    },
    mecs: [{ id: "mec-a" }, { id: "mec-b" }],
    migrations: new MigrationEngine({
      mecs: ["mec-a", "mec-b"],
      driverFor: () => new FakeDriver("fake"),
      homes: new HomeRegistry(),
      journal: new MemoryJournal(),
      sink: new CollectingSink(),
      logger: silent,
    }),
    logger: silent,
  });
  functions.http("manager-events-test", (req, res) => handler(req, res));
  server = getTestServer("manager-events-test");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  handler?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe("manager under functions-framework", () => {
  it("serves the console page and streams events while the response stays open", async () => {
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) });
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain('src="console/app.js"');

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5_000);
    const response = await fetch(`${url}/api/v1/events`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const events: string[] = [];
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      events.push(...parser.push(decoder.decode(chunk, { stream: true })).map((e) => e.event));
      if (events.includes("figures")) break;
    }
    clearTimeout(timer);
    controller.abort();
    // The first events came while the stream was still open: nothing waited for its end.
    expect(events).toEqual(["twin", "figures"]);
  });
});
