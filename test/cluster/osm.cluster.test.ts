/**
 * Two clusters on one machine with the OSM driver: the migration function instantiates the twin
 * NS through the OSM NBI stand-in (HTTPS, its CA trusted), whose LCM installs the twin chart's
 * objects into the VIM's cluster, which runs them as processes.
 */
import { afterAll, beforeAll, describe, expect, inject } from "vitest";
import { twinCnfName } from "../../functions/lib/migration/drivers/kubernetesObjects.ts";
import type { FakeOsmNbi } from "../integration/migration/drivers/fakeOsmNbi.ts";
import { TWIN_NAMESPACE } from "./mec.ts";
import { type BrokerWatch, watchBroker } from "./observe.ts";
import { startOsm, VIM_ACCOUNTS } from "./osm.ts";
import { twoClusterScenario } from "./scenario.ts";
import { type MecId, startTwoMecs, type TwoMecSystem } from "./system.ts";

let system: TwoMecSystem;
let broker: BrokerWatch;
let nbi: FakeOsmNbi;

beforeAll(async () => {
  system = await startTwoMecs({
    image: inject("image"),
    driver: "osm",
    env: { VVCU_MIGRATION_READY_TIMEOUT_S: "60", VVCU_GEOFENCE_COOLDOWN_S: "10" },
    mecSettings: (mec) => ({ osm: { vimAccount: VIM_ACCOUNTS[mec.id as MecId].name } }),
    beside: async (dir, mecs) => {
      const osm = await startOsm(dir, mecs);
      nbi = osm.nbi;
      return { env: osm.env, stop: () => osm.nbi.stop() };
    },
  });
  broker = await watchBroker(system.mosquitto.url);
});

afterAll(async () => {
  await broker?.close();
  await system?.stop();
});

describe("two clusters, OSM driver", () => {
  twoClusterScenario({
    system: () => system,
    broker: () => broker,
    twinPods: (mec, station) => mec.cluster.started.filter((pod) => pod.env.VVCU_TWIN_ID === station),
    deployedAt: (mec, station) =>
      mec.cluster.api.objects.has(`deployments/${TWIN_NAMESPACE}/${twinCnfName(station, mec.id)}`),
    checkMigration: (migration) => {
      // The record carries the NS instance and the instantiate operation the NBI answered with.
      const place = migration.operations?.find((op) => op.action === "place" && op.mec === migration.to);
      const [, nsId, opId] = /^ns:([^/]+)\/op:(.+)$/.exec(place?.ref ?? "") ?? [];
      const operation = nbi.operations.get(opId as string);
      expect(operation, `NBI operation of ${place?.ref}`).toMatchObject({
        nsInstanceId: nsId,
        lcmOperationType: "instantiate",
        operationState: "COMPLETED",
      });
    },
  });
});
