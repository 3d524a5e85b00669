import { describe, expect, it } from "vitest";
import { BridgeCounts } from "../../../bridges/mqtt/bridgeCounts.ts";
import { metrics } from "../../../functions/lib/metrics.ts";

async function seriesValue(
  metric: { get(): Promise<{ values: { labels: object; value: number }[] }> },
  labels: object,
) {
  const { values } = await metric.get();
  return values.find((entry) => JSON.stringify(entry.labels) === JSON.stringify(labels))?.value ?? 0;
}

describe("a bridge's counters", () => {
  it("reach prom-client when read, each message once, with the queue depth as it is then", async () => {
    const mec = "mec-counts";
    let queued = 7;
    const counts = new BridgeCounts(mec, () => queued);
    counts.received("cam");
    counts.received("cam");
    counts.received("unknown");
    counts.forwarded("cam");
    counts.filtered++;
    expect(await seriesValue(metrics.bridgeReceived, { mec, type: "cam" })).toBe(2);
    expect(await seriesValue(metrics.bridgeReceived, { mec, type: "unknown" })).toBe(1);
    expect(await seriesValue(metrics.bridgeForwarded, { mec, type: "cam" })).toBe(1);
    expect(await seriesValue(metrics.bridgeFiltered, { mec })).toBe(1);
    expect(await seriesValue(metrics.bridgeQueueDepth, { mec })).toBe(7);
    // Read again: nothing counted twice.
    expect(await seriesValue(metrics.bridgeReceived, { mec, type: "cam" })).toBe(2);
    counts.received("cam");
    queued = 0;
    counts.stop();
    expect(await seriesValue(metrics.bridgeReceived, { mec, type: "cam" })).toBe(3);
    expect(await seriesValue(metrics.bridgeQueueDepth, { mec })).toBe(7); // no longer read from the bridge
  });
});
