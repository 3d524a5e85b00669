/**
 * The manager function (Knative Service vvcu-manager): the HTTP API of docs/architecture.md "Manager API".
 * Twins come from every MEC's Redis store, migrations from the migration function's control API.
 */
import * as functions from "@google-cloud/functions-framework";
import { loadConfig } from "../lib/config.ts";
import { directoryOverHosts, type TwinSource } from "../lib/manager/directory.ts";
import { RemoteMigrationControl } from "../lib/manager/remoteMigrations.ts";
import { apiTokenFromConfig } from "../lib/runtime/auth.ts";
import { lazily } from "../lib/runtime/lazy.ts";
import { loadTopology } from "../lib/topology.ts";
import { twinOptionsFromConfig } from "../lib/twin/state/options.ts";
import { StoredHistories } from "../lib/twin/store/historyStore.ts";
import { RedisTwinStore } from "../lib/twin/store/redisStore.ts";
import { managerFunction } from "./manager.ts";

const manager = lazily(() => {
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
  process.once("SIGTERM", () => void Promise.all(stores.map((store) => store.close())));
  const apiToken = apiTokenFromConfig(config);
  return managerFunction({
    config,
    topology,
    twins: directoryOverHosts(sources),
    // The migration function's control API takes the same token, when it has one.
    migrations: new RemoteMigrationControl({
      url: config.VVCU_MIGRATION_URL,
      ...(apiToken === undefined ? {} : { apiToken }),
    }),
  });
});

functions.http("manager", async (req, res) => {
  await (await manager.get())(req, res);
});
