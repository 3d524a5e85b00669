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

const TARGET_RESTARTED_EMPTY =
  "while a migration brings a twin here, the bridge forwards its CAMs as soon as the twin CNF's Deployment exists, so this MEC's twin function creates the twin before the target twin CNF parks it; that twin.created asks for a first home here, and the OSM driver (which must not look NS instances up by name) instantiates a second NS whose twin CNF restarts the target empty, so the twin ends up nowhere (the kubernetes driver finds its Deployment and leaves it)";

describe("two clusters, OSM driver", () => {
  twoClusterScenario({
    blocked: {
      geofence:
        "passes in some runs only: in one, a twin's move was never recorded after its first home at the source took 4.5 s (the move's request waits for it), and the twin was created afresh at the target when its vehicle entered that zone; not diagnosed yet",
      counts: TARGET_RESTARTED_EMPTY,
      manual: `no twin to move (${TARGET_RESTARTED_EMPTY})`,
      "dashboard-homes": `no twin to show (${TARGET_RESTARTED_EMPTY})`,
    },
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
