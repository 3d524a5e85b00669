/**
 * The twin function as Knative runs it: binary-mode CloudEvents over HTTP in, twin state in a
 * real Redis, twin.* CloudEvents out to K_SINK over HTTP.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { type CloudEventV1, HTTP } from "cloudevents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXTENSIONS } from "../../../functions/lib/events.ts";
import type { Twin } from "../../../functions/lib/model/twin.ts";
import { httpTransport } from "../../../functions/lib/runtime/emit/httpTransport.ts";
import { appliedIdsOf } from "../../../functions/lib/twin/state/records.ts";
import { RedisTwinStore } from "../../../functions/lib/twin/store/redisStore.ts";
import { type RunningServer, startRedis } from "../../helpers/servers.ts";
import { citsEvent, TRACEPARENT } from "../../unit/twin/events.ts";
import { cam, cpm } from "../../unit/twin/messages.ts";

let redis: RunningServer;
let sinkServer: http.Server;
let functionServer: http.Server;
const received: CloudEventV1<unknown>[] = [];
let closeTwinFunction: () => Promise<void>;

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  redis = await startRedis();
  sinkServer = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const event = HTTP.toEvent({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      received.push(...(Array.isArray(event) ? event : [event]));
      response.writeHead(202).end();
    });
  });
  process.env.K_SINK = await listen(sinkServer);
  process.env.VVCU_MEC_ID = "mec-a";
  process.env.REDIS_URL = redis.url;
  ({ closeTwinFunction } = await import("../../../functions/twin/index.ts"));
  functionServer = getTestServer("twin");
});

afterAll(async () => {
  await closeTwinFunction?.();
  await new Promise((resolve) => functionServer?.close(resolve));
  await new Promise((resolve) => sinkServer?.close(resolve));
  await redis?.dispose();
  delete process.env.K_SINK;
  delete process.env.VVCU_MEC_ID;
  delete process.env.REDIS_URL;
});

describe("twin function (functions/twin)", () => {
  it("applies CloudEvents posted in binary mode, stores the twin in Redis and emits twin.created", async () => {
    const url = await listen(functionServer);
    const post = httpTransport({ url, timeoutMs: 5_000 });
    await post.emit(citsEvent(cam("2001", 0, { speed: 12.5 }), "http-1"));
    await post.emit(citsEvent(cpm("2001", 100), "http-2"));
    await post.emit(citsEvent(cpm("2001", 100), "http-2")); // redelivery: applied once
    await post.close();

    const store = new RedisTwinStore({ url: redis.url, mec: "mec-a" });
    const record = await store.get("2001");
    await store.close();
    expect(record?.twin.messages).toEqual({ cam: 1, cpm: 1, denm: 0, vam: 0, logs: 0 });
    expect(record?.twin.perceivedObjects).toHaveLength(2);
    expect(record && appliedIdsOf(record)).toEqual(["http-1", "http-2"]);

    await closeTwinFunction(); // sends the trailing update
    const created = received.find((event) => event.type === "io.vvcu.twin.created");
    expect(created?.source).toBe("/vvcu/mec-a/twin");
    expect(created?.subject).toBe("2001");
    expect(created?.[EXTENSIONS.mec]).toBe("mec-a");
    expect(created?.[EXTENSIONS.traceparent]).toBe(TRACEPARENT);
    expect((created?.data as { twin: Twin } | undefined)?.twin.speed).toBe(12.5);
    const updated = received.filter((event) => event.type === "io.vvcu.twin.updated").at(-1);
    expect((updated?.data as { twin: Twin } | undefined)?.twin.messages.cpm).toBe(1);
  });
});
