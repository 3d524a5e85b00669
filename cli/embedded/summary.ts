/**
 * The live summary of `vvcu start`: a few lines redrawn in place on a terminal, or one plain line
 * per period otherwise (logs, CI). `formatSummary` is pure; `SummaryPrinter` is the shell.
 */
import type { Migration } from "../../functions/lib/model/migration.ts";

export interface SummarySnapshot {
  uptimeS: number;
  mecs: { id: string; twins: number; forwardedPerS: number }[];
  /** MQTT messages per second arriving at the stack (each bridge sees all; counted once). */
  messagesPerS: number;
  rejected: number;
  migrations: Migration[];
  nowMs: number;
}

const ms = (value: number | undefined): string => (value === undefined ? "-" : `${Math.round(value)} ms`);

function migrationLine(migration: Migration, nowMs: number): string {
  const route = `${migration.twin} ${migration.from} -> ${migration.to} (${migration.trigger})`;
  if (migration.status === "running") {
    const elapsed = nowMs - Date.parse(migration.requestedAt);
    return `  ${route}: running, step ${migration.step}, ${ms(elapsed)} so far`;
  }
  const timings = `ready ${ms(migration.timeUntilReadyMs)}, done ${ms(migration.timeUntilDoneMs)}`;
  const error = migration.error === undefined ? "" : `: ${migration.error}`;
  return `  ${route}: ${migration.status}, ${timings}${error}`;
}

/** The TTY form: several lines, the latest migrations last. */
export function formatSummary(snapshot: SummarySnapshot, recentMigrations = 5): string[] {
  const counts = { running: 0, completed: 0, failed: 0, "rolled-back": 0 };
  for (const migration of snapshot.migrations) counts[migration.status]++;
  const lines = [
    `vvcu  up ${Math.floor(snapshot.uptimeS)} s   ${snapshot.messagesPerS.toFixed(0)} msg/s   rejected ${snapshot.rejected}`,
    ...snapshot.mecs.map(
      (mec) =>
        `  ${mec.id.padEnd(10)} ${String(mec.twins).padStart(5)} twins   ${mec.forwardedPerS.toFixed(0)} msg/s`,
    ),
    `migrations: ${counts.completed} completed, ${counts.running} running, ${counts.failed} failed, ${counts["rolled-back"]} rolled back`,
  ];
  // Running first, then the latest finished ones; `migrations` is newest first.
  const running = snapshot.migrations.filter((m) => m.status === "running");
  const finished = snapshot.migrations.filter((m) => m.status !== "running");
  const shown = [...running.slice(0, recentMigrations), ...finished].slice(0, recentMigrations);
  for (const migration of shown.reverse()) lines.push(migrationLine(migration, snapshot.nowMs));
  return lines;
}

/** The plain form: one line. */
export function formatSummaryLine(snapshot: SummarySnapshot): string {
  const mecs = snapshot.mecs.map((mec) => `${mec.id}=${mec.twins}`).join(" ");
  const done = snapshot.migrations.filter((m) => m.status === "completed");
  const last = done[0];
  const lastText =
    last === undefined
      ? ""
      : ` last ${last.twin} ${last.from}->${last.to} ready ${ms(last.timeUntilReadyMs)} done ${ms(last.timeUntilDoneMs)}`;
  const running = snapshot.migrations.filter((m) => m.status === "running").length;
  return `vvcu: twins ${mecs}; ${snapshot.messagesPerS.toFixed(0)} msg/s; rejected ${snapshot.rejected}; migrations ${done.length} completed, ${running} running${lastText}`;
}

export interface SummaryPrinterOptions {
  snapshot: () => Promise<SummarySnapshot>;
  write: (text: string) => void;
  tty: boolean;
  intervalMs: number;
}

/** Redraws the summary in place (TTY) or prints a line per interval. */
export class SummaryPrinter {
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;

  constructor(private readonly options: SummaryPrinterOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.print().catch(() => {});
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async print(): Promise<void> {
    const snapshot = await this.options.snapshot();
    if (!this.options.tty) {
      this.options.write(`${formatSummaryLine(snapshot)}\n`);
      return;
    }
    const lines = formatSummary(snapshot);
    // Up to the first line drawn last time, clear to the end of the screen, draw again.
    const rewind = this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[0J` : "";
    this.options.write(`${rewind}${lines.join("\n")}\n`);
    this.drawnLines = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
