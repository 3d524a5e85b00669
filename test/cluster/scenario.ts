/**
 * The two-cluster scenario, the same for every driver: `vvcu sim` drives vehicles across the
 * border of the Aveiro topology; the steps run in order on one system and assert with values.
 */
import { expect, it } from "vitest";
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { dashboardTopics } from "../../functions/lib/topics.ts";
import { loadTopology, zoneIndexOf } from "../../functions/lib/topology.ts";
import type { Mec } from "./mec.ts";
import {
  type BrokerWatch,
  eventually,
  metric,
  migrationsAt,
  requestMigration,
  runSimulator,
  twinAt,
} from "./observe.ts";
import type { MecId, TwoMecSystem } from "./system.ts";

export const VEHICLES = 3;
const SIM_SECONDS = 50;
const zones = zoneIndexOf(loadTopology());
const other = (mec: string): MecId => (mec === "mec-a" ? "mec-b" : "mec-a");

export interface ScenarioContext {
  system(): TwoMecSystem;
  broker(): BrokerWatch;
  /** The twin CNF pods a MEC's cluster ran for a station, in order (kubernetes or OSM). */
  twinPods(mec: Mec, station: string): { env: Record<string, string> }[];
  /** Whether the twin CNF of a station is deployed in a MEC's cluster now. */
  deployedAt(mec: Mec, station: string): boolean;
  /** Extra checks of a completed migration (e.g. the orchestrator's ids). */
  checkMigration?(migration: Migration): void;
}

const mecsOf = (system: TwoMecSystem) => Object.values(system.mecs);
const total = (context: ScenarioContext) =>
  [...context.broker().camsByStation.values()].reduce((sum, count) => sum + count, 0);

async function locate(system: TwoMecSystem, station: string): Promise<{ mec: Mec; twin: Twin }[]> {
  const found: { mec: Mec; twin: Twin }[] = [];
  for (const mec of mecsOf(system)) {
    const twin = await twinAt(mec, station);
    if (twin) found.push({ mec, twin });
  }
  return found;
}

async function allMigrations(system: TwoMecSystem): Promise<Migration[]> {
  return (await Promise.all(mecsOf(system).map((mec) => migrationsAt(mec)))).flat();
}

export function twoClusterScenario(context: ScenarioContext): void {
  const stations = () => [...context.broker().camsByStation.keys()].sort();
  let manual: Migration | undefined;

  /** The proxy's first publication of a twin: where it was created and where it stood. */
  const firstSeen = (station: string) =>
    context.broker().dashboard.get(dashboardTopics.twin(station))?.[0] as
      | { mec: string; lat: number; lon: number }
      | undefined;

  it("runs vvcu sim and creates each twin in the MEC of the zone its vehicle starts in", async () => {
    const system = context.system();
    await runSimulator(system.mosquitto.url, [
      ...["--vehicles", String(VEHICLES), "--rate", "5", "--cpm-rate", "0", "--log-interval", "0"],
      ...["--qos", "1", "--seed", "7", "--duration", String(SIM_SECONDS)],
    ]);
    expect(stations()).toHaveLength(VEHICLES);
    for (const station of stations()) {
      const first = firstSeen(station);
      expect(first, `dashboard topic of ${station}`).toBeDefined();
      expect(zones.containing(first?.lat as number, first?.lon as number)).toContain(first?.mec);
      expect(Object.keys(system.mecs)).toContain(first?.mec);
    }
  });

  it("gives each new twin its twin CNF in the cluster it was created in", async () => {
    const system = context.system();
    for (const station of stations()) {
      const home = system.mecs[firstSeen(station)?.mec as MecId];
      const pods = context.twinPods(home, station);
      expect(pods.length, `twin CNF pods of ${station} at ${home.id}`).toBeGreaterThan(0);
      expect(pods[0]?.env.VVCU_MEC_ID).toBe(home.id);
      expect(pods[0]?.env.VVCU_HYDRATE_FROM ?? "").toBe("");
      const firstHomes = (await migrationsAt(home, station)).filter((m) => m.reason === "first-placement");
      expect(firstHomes).toMatchObject([{ from: home.id, to: home.id, status: "completed" }]);
    }
  });

  it("moves each twin to the other cluster when its vehicle crosses the border (geofence)", async () => {
    const system = context.system();
    const migrations = await eventually("every migration finished", async () => {
      const all = await allMigrations(system);
      return all.some((m) => m.status === "running") ? undefined : all;
    });
    for (const station of stations()) {
      const completed = migrations.filter(
        (m) =>
          m.twin === station &&
          m.trigger === "geofence" &&
          m.reason !== "first-placement" &&
          m.status === "completed",
      );
      expect(
        completed.length,
        `completed geofence migrations of ${station}: ${JSON.stringify(migrations.filter((m) => m.twin === station))}`,
      ).toBeGreaterThan(0);
      for (const migration of completed) {
        expect(migration.to).toBe(other(migration.from));
        expect(migration.timeUntilDoneMs).toBeGreaterThanOrEqual(migration.timeUntilReadyMs as number);
        // The target hydrated from the source cluster's address (its ingress), not its own.
        const target = context.twinPods(system.mecs[migration.to as MecId], station);
        const source = system.mecs[migration.from as MecId];
        expect(target.some((pod) => pod.env.VVCU_HYDRATE_FROM?.startsWith(source.cluster.ingressUrl))).toBe(
          true,
        );
        context.checkMigration?.(migration);
      }
    }
  });

  it("counts every CAM the broker delivered exactly once, in the one cluster that hosts the twin", async () => {
    const system = context.system();
    for (const station of stations()) {
      const published = context.broker().camsByStation.get(station) as number;
      let seen = "nowhere";
      const found = await eventually(`twin ${station} with its ${published} CAMs`, async () => {
        const where = await locate(system, station);
        seen = where.map(({ mec, twin }) => `${mec.id}: ${twin.messages.cam} CAMs`).join(", ") || "nowhere";
        return where.length === 1 && where[0]?.twin.messages.cam === published ? where : undefined;
      }).catch((error: Error) => {
        throw new Error(`${error.message}; last seen: ${seen}`);
      });
      const { mec, twin } = found[0] as { mec: Mec; twin: Twin };
      expect(twin.messages.cam).toBe(published);
      expect(twin.mec).toBe(mec.id);
      const position = twin.position as { lat: number; lon: number };
      expect(zones.containing(position.lat, position.lon)).toContain(twin.mec);
      for (const candidate of mecsOf(system))
        expect(context.deployedAt(candidate, station), `${station} at ${candidate.id}`).toBe(
          candidate === mec,
        );
    }
    // Read once every twin holds its CAMs (before, a busy machine's backlog was still on its
    // way). A twin function applies a CAM or, while a migration brings the twin to its MEC,
    // parks it for the twin CNF, which applies it on hydrating (and serves no /metrics): each
    // CAM is one or the other in at least one MEC.
    let appliedOrParked = 0;
    for (const mec of mecsOf(system))
      for (const name of ["vvcu_twin_events_applied_total", "vvcu_twin_events_parked_total"])
        appliedOrParked += await metric(mec.metricsUrl("twin"), name, { type: "cam" });
    expect(appliedOrParked).toBeGreaterThanOrEqual(total(context));
  });

  it("moves a twin by hand through the manager API, with its trajectory and counts", async () => {
    const system = context.system();
    const station = stations()[0] as string;
    const [{ mec, twin: before }] = (await locate(system, station)) as [{ mec: Mec; twin: Twin }];
    const target = system.mecs[other(mec.id)];
    const answer = await requestMigration(mec, station, target.id);
    expect(answer.status).toBe(202);
    manual = await eventually(`the manual migration of ${station}`, async () =>
      (await migrationsAt(mec, station)).find((m) => m.id === answer.body.id && m.status === "completed"),
    );
    expect(manual).toMatchObject({ twin: station, from: mec.id, to: target.id, trigger: "manual" });
    context.checkMigration?.(manual);
    const after = await eventually(`${station} at ${target.id}`, () => twinAt(target, station));
    expect(await twinAt(mec, station)).toBeUndefined();
    expect(after.mec).toBe(target.id);
    expect(after.messages).toEqual(before.messages);
    expect(after.trajectory).toEqual(before.trajectory);
    expect(after.distanceM).toBeCloseTo(before.distanceM, 6);
    expect(context.deployedAt(target, station)).toBe(true);
    expect(context.deployedAt(mec, station)).toBe(false);
  });

  it("publishes each twin's and the system's dashboard topics", async () => {
    const dashboard = context.broker().dashboard;
    for (const station of stations()) {
      const flat = dashboard.get(dashboardTopics.twin(station)) as { id: string; mec: string }[] | undefined;
      expect(flat?.length, `publications of ${dashboardTopics.twin(station)}`).toBeGreaterThan(0);
      expect(flat?.every((entry) => entry.id === station && entry.mec in context.system().mecs)).toBe(true);
    }
    expect(dashboard.get(dashboardTopics.system)?.length).toBeGreaterThan(0);
    expect(dashboard.get(dashboardTopics.mecs)?.length).toBeGreaterThan(0);
  });

  it("shows each twin where it lives after the migrations, and each completed migration", async () => {
    const system = context.system();
    const dashboard = context.broker().dashboard;
    const completed = (await allMigrations(system)).filter((m) => m.status === "completed");
    for (const station of stations()) {
      const [{ mec }] = (await locate(system, station)) as [{ mec: Mec; twin: Twin }];
      await eventually(`the dashboard showing ${station} at ${mec.id}`, async () => {
        const last = dashboard.get(dashboardTopics.twin(station))?.at(-1) as { mec?: string } | undefined;
        return last?.mec === mec.id ? true : undefined;
      });
    }
    const events = (dashboard.get(dashboardTopics.migrations) ?? []) as { event: string; id: string }[];
    for (const migration of completed)
      expect(
        events.some((e) => e.event === "completed" && e.id === migration.id),
        migration.id,
      ).toBe(true);
    expect(dashboard.get(dashboardTopics.system)?.length).toBeGreaterThan(0);
    expect(dashboard.get(dashboardTopics.mecs)?.length).toBeGreaterThan(0);
  });

  it("exposes the metrics a Prometheus scrapes, agreeing with what happened", async () => {
    const system = context.system();
    const published = total(context);
    const migrations = await eventually("every migration finished", async () => {
      const all = await allMigrations(system);
      return all.some((m) => m.status === "running") ? undefined : all;
    });
    for (const result of ["completed", "rolled-back", "failed"]) {
      let counted = 0;
      for (const mec of mecsOf(system))
        counted += await metric(mec.metricsUrl("migration"), "vvcu_migrations_total", { result });
      expect(counted, `vvcu_migrations_total{result="${result}"}`).toBe(
        migrations.filter((m) => m.status === result).length,
      );
    }
    for (const mec of mecsOf(system)) {
      // Both bridges read the shared broker: each received every CAM once.
      expect(
        await metric(mec.metricsUrl("bridge"), "vvcu_bridge_messages_received_total", { type: "cam" }),
      ).toBe(published);
      expect(await metric(mec.metricsUrl("proxy"), "vvcu_proxy_messages_published_total")).toBeGreaterThan(0);
      expect(
        await metric(mec.metricsUrl("geofence"), "vvcu_process_cpu_seconds_total"),
      ).toBeGreaterThanOrEqual(0);
      expect(mec.broker.counts).toMatchObject({ rejected: 0, dropped: 0, deadLettered: 0 });
    }
  });
}
