import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hydrateFromUrl } from "../../../../functions/lib/twin/remote/hydrate.ts";
import { twinHostHandler } from "../../../../functions/lib/twin/remote/server.ts";
import { MemoryTwinHost, snapshotOf } from "./fixtures.ts";

let source: MemoryTwinHost;
let server: http.Server;
let url: string;
/** Answers the next requests with these statuses before the real handler. */
let interruptions: number[];

beforeEach(async () => {
  source = new MemoryTwinHost("mec-a");
  interruptions = [];
  const handler = twinHostHandler(source);
  server = http.createServer((request, response) => {
    const status = interruptions.shift();
    if (status !== undefined) response.writeHead(status).end();
    else handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/twins/42/snapshot`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("hydrateFromUrl", () => {
  it("parks, pulls the source's snapshot and hydrates, after the source's 503s", async () => {
    await source.hydrate(snapshotOf("42", "mec-a", 11));
    interruptions = [503, 502];
    const target = new MemoryTwinHost("mec-b");
    const snapshot = await hydrateFromUrl(target, "42", url, { retryIntervalMs: 5 });
    expect(snapshot.twin.sequence).toBe(11);
    expect(target.calls).toEqual(["expect 42", "hydrate 42"]);
    expect(await target.isReady("42")).toBe(true);
  });

  it("fails at once when the source has no such twin", async () => {
    const target = new MemoryTwinHost("mec-b");
    await expect(hydrateFromUrl(target, "42", url, { retryIntervalMs: 5 })).rejects.toThrow(/answered 404/);
    expect(await target.isReady("42")).toBe(false);
  });

  it("refuses a snapshot of another twin", async () => {
    await source.hydrate(snapshotOf("43", "mec-a"));
    const target = new MemoryTwinHost("mec-b");
    const other = url.replace("/42/", "/43/");
    await expect(hydrateFromUrl(target, "42", other, { retryIntervalMs: 5 })).rejects.toThrow(
      /of twin 43, not 42/,
    );
  });

  it("gives up after its timeout while the source does not answer", async () => {
    await new Promise((resolve) => server.close(resolve));
    const target = new MemoryTwinHost("mec-b");
    await expect(hydrateFromUrl(target, "42", url, { retryIntervalMs: 5, timeoutMs: 100 })).rejects.toThrow(
      /not done after 100 ms \(last: ECONNREFUSED\)/,
    );
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
});
