/** A real redis-server for a store suite: started once per file, flushed between cases. */
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { RedisTwinStore } from "../../../../functions/lib/twin/store/redisStore.ts";
import { type RunningServer, startRedis } from "../../../helpers/servers.ts";

export function realRedisStores(mec: string): { reset(): Promise<void>; open(): Promise<RedisTwinStore> } {
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
  return {
    reset: async () => {
      await admin.flushdb();
    },
    open: async () => new RedisTwinStore({ url: server.url, mec }),
  };
}
