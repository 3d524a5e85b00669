/**
 * A bridge's per-message counters, kept as plain numbers and handed to prom-client right before
 * the metrics are read (functions/lib/metrics.ts: beforeMetricRead), and once more at close.
 */
import { beforeMetricRead, metrics } from "../../functions/lib/metrics.ts";

export class BridgeCounts {
  filtered = 0;
  private readonly receivedByType = new Map<string, number>();
  private readonly forwardedByType = new Map<string, number>();
  private readonly stops: (() => void)[];

  constructor(
    private readonly mec: string,
    queueSize: () => number,
  ) {
    this.stops = [
      beforeMetricRead(metrics.bridgeReceived, () => this.report()),
      beforeMetricRead(metrics.bridgeForwarded, () => this.report()),
      beforeMetricRead(metrics.bridgeFiltered, () => this.report()),
      beforeMetricRead(metrics.bridgeQueueDepth, () => metrics.bridgeQueueDepth.set({ mec }, queueSize())),
    ];
  }

  received(type: string): void {
    this.receivedByType.set(type, (this.receivedByType.get(type) ?? 0) + 1);
  }

  forwarded(type: string): void {
    this.forwardedByType.set(type, (this.forwardedByType.get(type) ?? 0) + 1);
  }

  /** Reports what is left and stops reporting (the bridge closed). */
  stop(): void {
    this.report();
    for (const stop of this.stops) stop();
  }

  private report(): void {
    const { mec } = this;
    for (const [type, count] of this.receivedByType) metrics.bridgeReceived.inc({ mec, type }, count);
    for (const [type, count] of this.forwardedByType) metrics.bridgeForwarded.inc({ mec, type }, count);
    if (this.filtered > 0) metrics.bridgeFiltered.inc({ mec }, this.filtered);
    this.receivedByType.clear();
    this.forwardedByType.clear();
    this.filtered = 0;
  }
}
