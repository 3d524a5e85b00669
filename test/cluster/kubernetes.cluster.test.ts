/**
 * Two clusters on one machine with the kubernetes driver: vehicles of `vvcu sim` drive across the
 * border of the Aveiro topology; their twins are placed, moved by the geofence and once by hand
 * between the clusters, and every CAM the broker delivered is counted exactly once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { twinCnfName } from "../../functions/lib/migration/drivers/kubernetes-objects.ts";
import { loadTopology, zoneIndexOf } from "../../functions/lib/topology.ts";
import type { Twin } from "../../functions/lib/twin/model.ts";
import { TWIN_NAMESPACE } from "./mec.ts";
import {
  type BrokerWatch,
  eventually,
  metric,
  migrationsAt,
  requestMigration,
  runSimulator,
  twinAt,
  watchBroker,
} from "./observe.ts";
import { type MecId, startTwoMecs, type TwoMecSystem } from "./system.ts";

const VEHICLES = 3;
const SIM_SECONDS = 50;

let system: TwoMecSystem;
let broker: BrokerWatch;
const ids: MecId[] = ["mec-a", "mec-b"];

/** Where each station's twin lives now, by asking both clusters' managers. */
async function locate(station: string): Promise<{ mec: MecId; twin: Twin }[]> {
  const found: { mec: MecId; twin: Twin }[] = [];
  for (const id of ids) {
    const twin = await twinAt(system.mecs[id], station);
    if (twin) found.push({ mec: id, twin });
  }
  return found;
}

beforeAll(async () => {
  system = await startTwoMecs({
    app: inject("app"),
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
  it("places twins where the vehicles are, moves them across clusters, and counts every CAM once", async () => {
    await runSimulator(system.mosquitto.url, [
      ...["--vehicles", String(VEHICLES), "--rate", "5", "--cpm-rate", "0", "--log-interval", "0"],
      ...["--qos", "1", "--seed", "7", "--duration", String(SIM_SECONDS)],
    ]);
    const stations = [...broker.camsByStation.keys()].sort();
    expect(stations).toHaveLength(VEHICLES);
    const zones = zoneIndexOf(loadTopology());
    for (const station of stations) {
      const published = broker.camsByStation.get(station) as number;
      const [home, ...others] = await eventually(`twin ${station} with its ${published} CAMs`, async () => {
        const found = await locate(station);
        return found.length === 1 && found[0]?.twin.messages.cam === published ? found : undefined;
      });
      expect(others).toEqual([]);
      const twin = (home as { mec: MecId; twin: Twin }).twin;
      // In the right cluster: the zone of its last position, with its twin CNF there and only there.
      const position = twin.position as { lat: number; lon: number };
      expect(zones.containing(position.lat, position.lon)).toContain(twin.mec);
      expect(twin.mec).toBe(home?.mec);
      for (const id of ids) {
        const deployment = system.mecs[id].cluster.api.objects.get(
          `deployments/${TWIN_NAMESPACE}/${twinCnfName(station, id)}`,
        );
        expect(deployment !== undefined, `${station}'s twin CNF in ${id}`).toBe(id === twin.mec);
      }
    }
  });
});
