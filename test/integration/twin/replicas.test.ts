import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { RedisTwinStore } from "../../../functions/lib/twin/redisStore.ts";
import { type RunningServer, startRedis } from "../../helpers/servers.ts";
import { replicaSuite } from "../../unit/twin/replicaSuite.ts";

let server: RunningServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  admin = new Redis(server.url, { commandTimeout: 5_000 });
});

afterAll(async () => {
  await admin?.quit();
  await server?.dispose();
});

replicaSuite("redis", {
  reset: async () => {
    await admin.flushdb();
  },
  open: async () => new RedisTwinStore({ url: server.url, mec: "mec-b" }),
});
