/**
 * The manager function (Knative Service vvcu-manager): the HTTP API of DESIGN.md. Twins come
 * from every MEC's Redis store, migrations from the migration function's control API.
 */
import * as functions from "@google-cloud/functions-framework";
import { loadConfig } from "../lib/config.ts";
import { apiTokenFromConfig } from "../lib/manager/auth.ts";
import { directoryOverHosts, type TwinSource } from "../lib/manager/directory.ts";
import { createManagerHandler, type ManagerHandler } from "../lib/manager/handler.ts";
import { RemoteMigrationControl } from "../lib/manager/remoteMigrations.ts";
import { loadTopology } from "../lib/topology.ts";
import { StoredHistories } from "../lib/twin/historyStore.ts";
import { twinOptionsFromConfig } from "../lib/twin/options.ts";
import { RedisTwinStore } from "../lib/twin/redisStore.ts";

let handler: ManagerHandler | undefined;

function manager(): ManagerHandler {
  if (handler !== undefined) return handler;
  const config = loadConfig();
  if (!config.REDIS_URL) throw new Error("REDIS_URL is not set: the manager reads the twins from Redis");
  const redisUrl = config.REDIS_URL;
  const topology = loadTopology(config.VVCU_TOPOLOGY);
  const stores = topology.mecs.map((mec) => new RedisTwinStore({ url: redisUrl, mec: mec.id }));
  const options = twinOptionsFromConfig(config);
  const sources = new Map<string, TwinSource>(
    topology.mecs.map((mec, index) => {
      const store = stores[index] as RedisTwinStore;
      const histories = new StoredHistories(
        store.historyStore(options.historyMs + options.expireAfterMs),
        options,
      );
      // No spatial index here: near and bbox queries scan each MEC's twins (twinQuery.ts checks the area).
      return [
        mec.id,
        {
          twins: () => store.list(),
          twin: async (id: string) => (await store.get(id))?.twin,
          historyOf: (id: string, sinceMs: number, untilMs: number) => histories.range(id, sinceMs, untilMs),
        },
      ];
    }),
  );
  handler = createManagerHandler({
    twins: directoryOverHosts(sources),
    mecs: topology.mecs,
    migrations: new RemoteMigrationControl({ url: config.VVCU_MIGRATION_URL }),
    apiToken: apiTokenFromConfig(config),
  });
  process.once("SIGTERM", () => void Promise.all(stores.map((store) => store.close())));
  return handler;
}

functions.http("manager", async (req, res) => {
  await manager()(req, res);
});
