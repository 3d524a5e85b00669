/** What the live summary shows, read from the running stack's hosts, home registry and engine. */
import type { Migration } from "../../functions/lib/model/migration.ts";
import type { HomeRegistry } from "../../functions/lib/runtime/homeRegistry.ts";
import type { MecHost } from "./mecHost.ts";
import type { SummarySnapshot } from "./summary.ts";

export interface SummarySourceOptions {
  hosts: MecHost[];
  homes: HomeRegistry;
  migrations: { list(): Migration[] };
  startedAtMs: number;
}

/** A snapshot function; rates are per second since the previous snapshot. */
export function summarySource(options: SummarySourceOptions): () => Promise<SummarySnapshot> {
  const { hosts, homes, startedAtMs } = options;
  let previous = { atMs: Date.now(), received: 0, forwarded: new Map<string, number>() };
  return async () => {
    const nowMs = Date.now();
    const seconds = Math.max(0.001, (nowMs - previous.atMs) / 1000);
    const stats = hosts.map((host) => ({ mec: host.mec, stats: host.bridge.stats() }));
    // Every bridge reads every message: the stack's input is what one bridge received.
    const received = Math.max(0, ...stats.map((s) => s.stats.received));
    const rejected = Math.max(
      0,
      ...stats.map((s) => Object.values(s.stats.rejected).reduce((sum, n) => sum + (n ?? 0), 0)),
    );
    const mecs = stats.map(({ mec, stats: bridge }) => ({
      id: mec,
      twins: homes.twinsAt(mec).length,
      forwardedPerS: (bridge.forwarded - (previous.forwarded.get(mec) ?? 0)) / seconds,
    }));
    const messagesPerS = (received - previous.received) / seconds;
    previous = { atMs: nowMs, received, forwarded: new Map(stats.map((s) => [s.mec, s.stats.forwarded])) };
    // Only this run's: the journal also holds earlier runs' migrations.
    const migrations = options.migrations.list().filter((m) => Date.parse(m.requestedAt) >= startedAtMs);
    return { uptimeS: (nowMs - startedAtMs) / 1000, mecs, messagesPerS, rejected, migrations, nowMs };
  };
}
