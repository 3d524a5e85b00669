/**
 * Two clusters on one machine with the kubernetes driver: the migration function applies the twin
 * CNFs through each cluster's Kubernetes API stand-in, which runs them as processes.
 */
import { afterAll, beforeAll, describe, expect, inject } from "vitest";
import { twinCnfName } from "../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { TWIN_NAMESPACE } from "./mec.ts";
import { type BrokerWatch, watchBroker } from "./observe.ts";
import { twoClusterScenario } from "./scenario.ts";
import { startTwoMecs, type TwoMecSystem } from "./system.ts";

let system: TwoMecSystem;
let broker: BrokerWatch;

beforeAll(async () => {
  system = await startTwoMecs({
    image: inject("image"),
    driver: "kubernetes",
    env: { VVCU_MIGRATION_READY_TIMEOUT_S: "40", VVCU_GEOFENCE_COOLDOWN_S: "10" },
  });
  broker = await watchBroker(system.mosquitto.url);
});

afterAll(async () => {
  await broker?.close();
  await system?.stop();
});

describe("two clusters, kubernetes driver", () => {
  twoClusterScenario({
    system: () => system,
    broker: () => broker,
    twinPods: (mec, station) => mec.cluster.started.filter((pod) => pod.env.VVCU_TWIN_ID === station),
    deployedAt: (mec, station) =>
      mec.cluster.api.objects.has(`deployments/${TWIN_NAMESPACE}/${twinCnfName(station, mec.id)}`),
    checkMigration: (migration) => {
      // The record names the twin CNF objects the driver applied in the target cluster.
      const place = migration.operations?.find((op) => op.action === "place" && op.mec === migration.to);
      expect(place?.ref).toBe(`${TWIN_NAMESPACE}/${twinCnfName(migration.twin, migration.to)}`);
    },
  });
});
