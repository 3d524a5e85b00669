import http from "node:http";
import type { AddressInfo } from "node:net";
import axios from "axios";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../../functions/lib/config.ts";
import { twinCnfFromConfig } from "../../../functions/lib/twin/cnf.ts";
import { twinHostHandler } from "../../../functions/lib/twin/remote/server.ts";
import { MemoryTwinHost, snapshotOf } from "./remote/fixtures.ts";

const servers: http.Server[] = [];
const closers: (() => Promise<void>)[] = [];

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("the twin CNF from its environment", () => {
  it("hydrates its station from VVCU_HYDRATE_FROM, then answers /ready 200 and serves the twin", async () => {
    const source = new MemoryTwinHost("mec-a");
    await source.hydrate(snapshotOf("42", "mec-a", 21));
    const sourceUrl = await listen(twinHostHandler(source));
    const cnf = twinCnfFromConfig(
      loadConfig({
        VVCU_MEC_ID: "mec-b",
        VVCU_TWIN_ID: "42",
        VVCU_HYDRATE_FROM: `${sourceUrl}/twins/42/snapshot`,
      }),
      { retryIntervalMs: 5 },
    );
    closers.push(cnf.close);
    const url = await listen(cnf.handler);
    expect(await cnf.started).toBe("hydrated");
    expect((await axios.get(`${url}/ready`)).status).toBe(200);
    const snapshot = await axios.get(`${url}/twins/42/snapshot`);
    expect(snapshot.data.twin).toMatchObject({ id: "42", mec: "mec-b", sequence: 21 });
  });

  it("stays not ready when its source has no such twin", async () => {
    const sourceUrl = await listen(twinHostHandler(new MemoryTwinHost("mec-a")));
    const cnf = twinCnfFromConfig(
      loadConfig({
        VVCU_MEC_ID: "mec-b",
        VVCU_TWIN_ID: "42",
        VVCU_HYDRATE_FROM: `${sourceUrl}/twins/42/snapshot`,
      }),
      { retryIntervalMs: 5 },
    );
    closers.push(cnf.close);
    const url = await listen(cnf.handler);
    expect(await cnf.started).toBe("failed");
    expect((await axios.get(`${url}/ready`, { validateStatus: () => true })).status).toBe(503);
  });

  it("starts fresh without VVCU_HYDRATE_FROM, and needs VVCU_TWIN_ID", async () => {
    const cnf = twinCnfFromConfig(loadConfig({ VVCU_MEC_ID: "mec-b", VVCU_TWIN_ID: "42" }));
    closers.push(cnf.close);
    expect(await cnf.started).toBe("fresh");
    expect(() => twinCnfFromConfig(loadConfig({ VVCU_MEC_ID: "mec-b" }))).toThrow(/VVCU_TWIN_ID is not set/);
  });
});
