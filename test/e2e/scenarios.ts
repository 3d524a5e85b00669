/** What the e2e tests do against a running stack, shared by the embedded-broker and Mosquitto runs. */
import { expect } from "vitest";
import { dashboardTopics } from "../../functions/lib/topics.ts";
import { connect, eventually, migrationsOf, publishCam, twin } from "./harness.ts";

/** Metres per degree of latitude (spherical Earth). */
const M_PER_DEG_LAT = 111_195;

/** A station parked in Aveiro South: its twin lives at mec-b with what it published. */
export async function stationGetsTwinWhereItIs(
  apiUrl: string,
  brokerUrl: string,
  stationId: number,
): Promise<void> {
  const client = await connect(brokerUrl);
  const dashboard: Record<string, unknown>[] = [];
  client.on("message", (topic, payload) => {
    if (topic === dashboardTopics.twin(String(stationId)) && payload.length > 0)
      dashboard.push(JSON.parse(payload.toString()));
  });
  await client.subscribeAsync(dashboardTopics.twin(String(stationId)), { qos: 0 });
  try {
    const start = Date.now();
    const fixes = Array.from({ length: 10 }, (_, i) => ({
      lat: 40.63 + i * 1e-5,
      lon: -8.6512345,
      speed: 12.5,
      heading: 0,
      timeMs: start + i * 100,
    }));
    for (const fix of fixes) await publishCam(client, stationId, fix);
    const seen = await eventually("the twin with all 10 CAMs applied", async () => {
      const current = await twin(apiUrl, stationId);
      return current?.messages.cam === 10 ? current : undefined;
    });
    const last = fixes[fixes.length - 1];
    expect(seen.id).toBe(String(stationId));
    expect(seen.mec).toBe("mec-b");
    expect(seen.status).toBe("stable");
    expect(seen.stationType).toBe("passengerCar");
    expect(seen.position?.lat).toBeCloseTo(last?.lat as number, 6);
    expect(seen.position?.lon).toBeCloseTo(-8.6512345, 6);
    expect(seen.speed).toBeCloseTo(12.5, 2);
    expect(seen.heading).toBeCloseTo(0, 1);
    // The proxy reshaped it for Grafana: degrees and km/h.
    const flat = await eventually("the twin on its dashboard topic", async () =>
      dashboard.find((entry) => entry.lat === seen.position?.lat),
    );
    expect(flat).toMatchObject({ id: String(stationId), mec: "mec-b", lon: -8.6512345 });
    expect(flat.speedKmh).toBeCloseTo(45, 1);
    // lastSeen is when the stack last heard from the station (receipt time).
    expect(Date.parse(seen.lastSeen)).toBeGreaterThanOrEqual(start);
  } finally {
    await client.endAsync();
  }
}

/**
 * A vehicle drives north across the border at 15 m/s (time compressed: 100 ms of station time
 * every 15 ms): the geofence migrates its twin from mec-b to mec-a, and the twin's CAM count at
 * the end equals what was published.
 */
export async function crossingMigratesLosslessly(
  apiUrl: string,
  brokerUrl: string,
  stationId: number,
): Promise<void> {
  const client = await connect(brokerUrl);
  let published = 0;
  try {
    const start = Date.now();
    const stepM = 1.5;
    const fromLat = 40.638;
    const toLat = 40.6425;
    const count = Math.floor(((toLat - fromLat) * M_PER_DEG_LAT) / stepM);
    for (let i = 0; i <= count; i++) {
      await publishCam(client, stationId, {
        lat: fromLat + (i * stepM) / M_PER_DEG_LAT,
        lon: -8.646,
        speed: 15,
        heading: 0,
        timeMs: start + i * 100,
      });
      published++;
      if (i === 0) {
        await eventually("the twin to be placed at mec-b", async () =>
          (await twin(apiUrl, stationId))?.mec === "mec-b" ? true : undefined,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  } finally {
    await client.endAsync();
  }
  const migration = await eventually("a completed geofence migration", async () => {
    const done = (await migrationsOf(apiUrl, stationId)).find((m) => m.status === "completed");
    return done;
  });
  expect(migration).toMatchObject({
    twin: String(stationId),
    from: "mec-b",
    to: "mec-a",
    trigger: "geofence",
  });
  expect(["entered-zone", "predicted-entry"]).toContain(migration.reason);
  expect(migration.timeUntilReadyMs).toBeGreaterThan(0);
  expect(migration.timeUntilDoneMs).toBeGreaterThanOrEqual(migration.timeUntilReadyMs as number);
  const final = await eventually("every published CAM applied at mec-a", async () => {
    const current = await twin(apiUrl, stationId);
    return current?.mec === "mec-a" && current.messages.cam >= published ? current : undefined;
  });
  // Nothing lost, nothing counted twice across the migration.
  expect(final.messages.cam).toBe(published);
  expect(final.status).toBe("stable");
  expect(final.position?.lat).toBeGreaterThan(40.642);
  // One migration: the vehicle stayed north after crossing.
  expect((await migrationsOf(apiUrl, stationId)).filter((m) => m.status === "completed")).toHaveLength(1);
}
