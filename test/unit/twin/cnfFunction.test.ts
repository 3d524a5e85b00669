/**
 * The twin CNF entry point as the image runs it (FUNCTION_TARGET=twin-cnf): functions-framework
 * serves functions/twin-cnf/index.ts, configured by the environment charts/vvcu-twin sets.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import axios from "axios";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TWIN_CNF_FUNCTION_TARGET } from "../../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { twinHostHandler } from "../../../functions/lib/twin/remote/server.ts";
import { MemoryTwinHost, snapshotOf } from "./remote/fixtures.ts";

const ENV = ["VVCU_MEC_ID", "VVCU_TWIN_ID", "VVCU_HYDRATE_FROM", "REDIS_URL", "K_SINK"] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
const servers: http.Server[] = [];
let closeTwinCnfFunction: () => Promise<void>;

async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const get = (url: string) => axios.get(url, { timeout: 5_000, validateStatus: () => true });

async function untilReady(url: string): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 200 && status !== 200; attempt++) {
    status = (await get(`${url}/ready`)).status;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return status;
}

beforeAll(async () => {
  for (const name of ENV) delete process.env[name];
  ({ closeTwinCnfFunction } = await import("../../../functions/twin-cnf/index.ts"));
});

afterAll(async () => {
  await closeTwinCnfFunction?.();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe("functions/twin-cnf", () => {
  it("registers the target the chart and the kubernetes driver run", () => {
    expect(TWIN_CNF_FUNCTION_TARGET).toBe("twin-cnf");
    expect(() => getTestServer(TWIN_CNF_FUNCTION_TARGET)).not.toThrow();
  });

  it("answers an error naming the missing variable when its station is not set", async () => {
    process.env.VVCU_MEC_ID = "mec-b";
    const url = await listen(getTestServer("twin-cnf"));
    const answer = await get(`${url}/health`);
    expect(answer.status).toBe(500);
    expect(answer.data.error).toMatch(/VVCU_TWIN_ID is not set/);
    delete process.env.VVCU_MEC_ID;
  });

  it("hydrates its station from VVCU_HYDRATE_FROM, answers /health, then /ready and serves the twin", async () => {
    const source = new MemoryTwinHost("mec-a");
    await source.hydrate(snapshotOf("3402", "mec-a", 21));
    const sourceUrl = await listen(http.createServer(twinHostHandler(source)));
    process.env.VVCU_MEC_ID = "mec-b";
    process.env.VVCU_TWIN_ID = "3402";
    process.env.VVCU_HYDRATE_FROM = `${sourceUrl}/twins/3402/snapshot`;
    const url = await listen(getTestServer("twin-cnf"));

    const health = await get(`${url}/health`);
    expect(health.status).toBe(200);
    expect(health.data).toEqual({ status: "ok" });
    expect(await untilReady(url)).toBe(200);
    const snapshot = await get(`${url}/twins/3402/snapshot`);
    expect(snapshot.status).toBe(200);
    expect(snapshot.data.twin).toMatchObject({ id: "3402", mec: "mec-b", sequence: 21 });
    expect(source.calls).toContain("snapshot 3402");

    // a JSON body arrives parsed by functions-framework's express: the host still reads it
    const status = await axios.post(
      `${url}/twins/3402/status`,
      { status: "migrating" },
      { timeout: 5_000, validateStatus: () => true },
    );
    expect(status.status).toBe(204);
    expect((await get(`${url}/twins/3402/snapshot`)).data.twin.status).toBe("migrating");
  });
});
