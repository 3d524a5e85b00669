import { describe, expect, it } from "vitest";
import { metrics, registry } from "../../../../functions/lib/metrics.ts";
import { initMigrationMetrics, recordFinished } from "../../../../functions/lib/migration/engine/report.ts";

async function values(metric: {
  get(): Promise<{ values: { labels: object; value: number; metricName?: string }[] }>;
}) {
  return (await metric.get()).values;
}

describe("initMigrationMetrics", () => {
  it("creates every result and trigger of each driver at zero, and the histograms empty", async () => {
    registry.resetMetrics();
    initMigrationMetrics(["local", "osm", "local"]);
    const counters = await values(metrics.migrations);
    expect(counters).toHaveLength(2 * 3 * 2);
    expect(counters.every((sample) => sample.value === 0)).toBe(true);
    expect(counters.map((sample) => sample.labels)).toContainEqual({
      result: "rolled-back",
      driver: "osm",
      trigger: "geofence",
    });
    const readyCounts = (await values(metrics.migrationReadySeconds)).filter((sample) =>
      sample.metricName?.endsWith("_count"),
    );
    expect(readyCounts.map((sample) => [sample.labels, sample.value])).toEqual([
      [{ driver: "local" }, 0],
      [{ driver: "osm" }, 0],
    ]);
  });

  it("leaves what a migration of an engine built earlier recorded as it was", async () => {
    registry.resetMetrics();
    initMigrationMetrics(["local"]);
    recordFinished({
      id: "m-1",
      twin: "1",
      from: "mec-a",
      to: "mec-b",
      trigger: "manual",
      reason: "manual",
      status: "completed",
      step: "done",
      driver: "local",
      requestedAt: "2026-01-01T00:00:00.000Z",
      timeUntilReadyMs: 100,
      timeUntilDoneMs: 150,
    });
    initMigrationMetrics(["local"]);
    const completed = (await values(metrics.migrations)).find(
      (sample) =>
        (sample.labels as { result: string; trigger: string }).result === "completed" &&
        (sample.labels as { trigger: string }).trigger === "manual",
    );
    expect(completed?.value).toBe(1);
    const doneCount = (await values(metrics.migrationDoneSeconds)).find((sample) =>
      sample.metricName?.endsWith("_count"),
    );
    expect(doneCount?.value).toBe(1);
  });
});
