/**
 * The Grafana dashboards' Prometheus panels against a real Prometheus scraping the real stack:
 * `vvcu start` runs as a child process, Prometheus (Debian package) scrapes its /metrics every
 * second, the test publishes CAMs and one malformed message over MQTT and asks the API for a
 * manual migration, then checks through Prometheus' HTTP API that every series the dashboards
 * query exists and holds what was done, and that every dashboard expression gives a number.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metrics } from "../../../functions/lib/metrics.ts";
import type { Migration } from "../../../functions/lib/model/migration.ts";
import { DASHBOARDS_DIR } from "../../../scripts/gen-dashboards.ts";
import {
  connect,
  eventually,
  migrationsOf,
  postJson,
  publishCam,
  type StackProcess,
  startStackProcess,
  twin,
} from "../../e2e/harness.ts";
import { type RunningServer, startPrometheus } from "../../helpers/servers.ts";
import { metricsIn, prometheusExpressions } from "../../unit/grafana/references.ts";
import { instantQuery, type Sample, summed, waitFor } from "./prometheusApi.ts";

/** Two parked stations, one in each MEC of the bundled Aveiro topology. */
const SOUTH = { id: 7101, lat: 40.62, lon: -8.65, mec: "mec-b" };
const NORTH = { id: 7102, lat: 40.66, lon: -8.64, mec: "mec-a" };
const STATIONS = [SOUTH, NORTH];
const FIRST_BATCH = 4;
const SECOND_BATCH = 3;
const CAMS_PER_STATION = FIRST_BATCH + SECOND_BATCH;
const CAMS = CAMS_PER_STATION * STATIONS.length;
const MECS = ["mec-a", "mec-b"];

// biome-ignore lint/suspicious/noExplicitAny: dashboard JSON, read for its targets only
const dashboards: any[] = readdirSync(DASHBOARDS_DIR)
  .filter((file) => file.endsWith(".json"))
  .map((file) => JSON.parse(readFileSync(path.join(DASHBOARDS_DIR, file), "utf8")));
/** Every PromQL expression of the dashboards, the Twin dashboard's `$twin` set to the migrated station. */
const expressions = dashboards
  .flatMap(prometheusExpressions)
  .map((expr) => expr.replaceAll("$twin", String(SOUTH.id)));

/** The metric name prom-client registered (metrics.ts is the one list of names). */
function nameOf(metric: object): string {
  return (metric as { name: string }).name;
}

let stack: StackProcess;
let prometheus: RunningServer;
let migration: Migration;
let sequence = 0;

async function publishBatch(client: MqttClient, count: number): Promise<void> {
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    sequence++;
    for (const station of STATIONS) {
      await publishCam(client, station.id, {
        lat: station.lat,
        lon: station.lon,
        speed: 5,
        heading: 90,
        timeMs: start + sequence * 100,
      });
    }
  }
}

const query = (expr: string): Promise<Sample[]> => instantQuery(prometheus.url, expr);
const sum = (expr: string): Promise<number> => summed(prometheus.url, expr);

beforeAll(async () => {
  stack = await startStackProcess();
  const target = new URL(stack.apiUrl).host;
  prometheus = await startPrometheus([target], 1);
  await waitFor(
    "Prometheus to scrape the stack",
    () => sum('up{job="vvcu"}'),
    (up) => up === 1,
  );

  const client = await connect(stack.brokerUrl);
  try {
    await publishBatch(client, FIRST_BATCH);
    // Rates need two samples of a series: let Prometheus see the first batch before the second.
    await waitFor(
      "the first batch in Prometheus",
      () => sum(nameOf(metrics.bridgeForwarded)),
      (forwarded) => forwarded === FIRST_BATCH * STATIONS.length,
    );
    await publishBatch(client, SECOND_BATCH);
    await client.publishAsync("vanetza/out/cam", "this is not json", { qos: 1 });
  } finally {
    await client.endAsync();
  }
  for (const station of STATIONS) {
    await eventually(`twin ${station.id} with every CAM`, async () => {
      const current = await twin(stack.apiUrl, station.id);
      return current?.mec === station.mec && current.messages.cam === CAMS_PER_STATION ? current : undefined;
    });
  }

  const requested = await postJson<Migration>(`${stack.apiUrl}/api/v1/twins/${SOUTH.id}/migrations`, {
    target: NORTH.mec,
  });
  expect(requested.status).toBe(202);
  migration = await eventually("the manual migration to complete", async () =>
    (await migrationsOf(stack.apiUrl, SOUTH.id)).find(
      (m) => m.id === requested.body.id && m.status === "completed",
    ),
  );
  await waitFor(
    "the migration in Prometheus",
    () => sum(`${nameOf(metrics.migrationDoneSeconds)}_count`),
    (count) => count === 1,
  );
}, 120_000);

afterAll(async () => {
  await prometheus?.dispose();
  await stack?.stop();
});

describe("the Prometheus series the Grafana dashboards use", () => {
  it("are all checked here: the dashboards query exactly these metrics", () => {
    const used = new Set(expressions.flatMap(metricsIn));
    const checked = [
      metrics.twins,
      metrics.bridgeForwarded,
      metrics.bridgeRejected,
      metrics.bridgeDeliverySeconds,
      metrics.migrations,
      metrics.migrationReadySeconds,
      metrics.migrationDoneSeconds,
      metrics.lastMigrationReadySeconds,
      metrics.lastMigrationDoneSeconds,
    ].map(nameOf);
    expect([...used].sort()).toEqual([...checked].sort());
  });

  it("count every CAM once per MEC bridge received, and once forwarded by the hosting MEC", async () => {
    const received = await query(`${nameOf(metrics.bridgeReceived)}{type="cam"}`);
    // In the embedded stack every MEC's bridge reads the one broker: each sees every message.
    expect(Object.fromEntries(received.map((s) => [s.labels.mec, s.value]))).toEqual({
      "mec-a": CAMS,
      "mec-b": CAMS,
    });
    const forwarded = await query(`${nameOf(metrics.bridgeForwarded)}{type="cam"}`);
    expect(Object.fromEntries(forwarded.map((s) => [s.labels.mec, s.value]))).toEqual({
      "mec-a": CAMS_PER_STATION,
      "mec-b": CAMS_PER_STATION,
    });
    expect(await sum(`${nameOf(metrics.bridgeDeliverySeconds)}_count`)).toBe(CAMS);
  });

  it("count the malformed message as rejected (not-json) once, though each MEC's bridge received it", async () => {
    // Both embedded bridges share the broker's messages: the first to reject one reports it.
    const rejected = await query(`sum by (reason) (${nameOf(metrics.bridgeRejected)})`);
    expect(rejected.map((s) => [s.labels.reason, s.value])).toEqual([["not-json", 1]]);
    expect(await sum(`${nameOf(metrics.bridgeReceived)}{type="unknown"}`)).toBe(MECS.length);
  });

  it("show both twins at mec-a after the migration, none left at mec-b", async () => {
    const twins = await query(`sum by (mec) (${nameOf(metrics.twins)})`);
    expect(Object.fromEntries(twins.map((s) => [s.labels.mec, s.value]))).toEqual({
      "mec-a": 2,
      "mec-b": 0,
    });
    expect(await sum(`${nameOf(metrics.twins)}{status="migrating"}`)).toBe(0);
  });

  it("count one completed manual migration by the local driver, timed as the API reports it", async () => {
    const finished = await query(`${nameOf(metrics.migrations)} > 0`);
    expect(finished.map((s) => s.labels)).toEqual([
      expect.objectContaining({ result: "completed", driver: "local", trigger: "manual" }),
    ]);
    expect(finished[0]?.value).toBe(1);
    const readyS = (migration.timeUntilReadyMs as number) / 1000;
    const doneS = (migration.timeUntilDoneMs as number) / 1000;
    expect(await sum(`${nameOf(metrics.migrationReadySeconds)}_count`)).toBe(1);
    expect(await sum(`${nameOf(metrics.migrationReadySeconds)}_sum`)).toBeCloseTo(readyS, 6);
    expect(await sum(`${nameOf(metrics.migrationDoneSeconds)}_count`)).toBe(1);
    expect(await sum(`${nameOf(metrics.migrationDoneSeconds)}_sum`)).toBeCloseTo(doneS, 6);
    const lastReady = await query(`${nameOf(metrics.lastMigrationReadySeconds)}{twin="${SOUTH.id}"}`);
    expect(lastReady[0]?.value).toBeCloseTo(readyS, 6);
    const lastDone = await query(`${nameOf(metrics.lastMigrationDoneSeconds)}{twin="${SOUTH.id}"}`);
    expect(lastDone[0]?.value).toBeCloseTo(doneS, 6);
  });

  it("give every dashboard panel a number (no empty or NaN panel)", async () => {
    expect(expressions.length).toBeGreaterThan(5);
    const blank: string[] = [];
    for (const expr of expressions) {
      // Rates over a window need a few scrapes; a panel that stays blank is a failure.
      await waitFor(
        expr,
        () => query(expr),
        (samples) => samples.length > 0,
      ).catch(() => undefined);
      const samples = await query(expr);
      if (samples.length === 0 || samples.some((s) => !Number.isFinite(s.value))) {
        blank.push(`${expr} -> ${JSON.stringify(samples)}`);
      }
    }
    expect(blank).toEqual([]);
  });

  it("show in the dashboards' own expressions the migration and the CAMs that happened", async () => {
    const migrations = await query(expressions.find((e) => e.includes(nameOf(metrics.migrations))) ?? "");
    // increase() extrapolates a little past the last sample: one migration reads as about 1.
    expect(Math.round(migrations.find((s) => s.labels.result === "completed")?.value ?? 0)).toBe(1);
    const twinsPerMec = await query(expressions.find((e) => e.includes(nameOf(metrics.twins))) ?? "");
    expect(twinsPerMec.find((s) => s.labels.mec === "mec-a")?.value).toBe(2);
    const received = expressions.find((e) => e.includes(nameOf(metrics.bridgeForwarded))) ?? "";
    const receivedRate = await query(received);
    expect(receivedRate.find((s) => s.labels.type === "cam")?.value).toBeGreaterThan(0);
    // The panel's own aggregation over the counters themselves: every CAM once, though both MECs'
    // bridges read the one broker of the embedded stack.
    const receivedTotals = await query(received.replace(/rate\((\w+)\[\w+\]\)/, "$1"));
    expect(receivedTotals.map((s) => [s.labels.type, s.value])).toEqual([["cam", CAMS]]);
  });
});
