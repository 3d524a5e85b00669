/**
 * What `GET /api/v1/events` streams, as pure logic: the compact twin markers and the summary
 * figures read from the API's state, the changes between two readings, and each client's
 * pending events, coalesced per twin so a slow client holds at most one entry per twin (plus a
 * bounded number of migrations and the latest figures), never a growing backlog.
 */
import type { Figures, TwinMarker } from "../model/liveFeed.ts";
import type { Migration } from "../model/migration.ts";
import type { Twin } from "../model/twin.ts";

/** One reading of the state the stream reports. */
export interface FeedState {
  twins: TwinMarker[];
  /** Newest first, as the migrations API lists them. */
  migrations: Migration[];
  figures: Figures;
}

export function markerOf(twin: Twin): TwinMarker {
  const { id, stationType, mec, status, liveness, position, speed, heading } = twin;
  return {
    id,
    stationType,
    mec,
    status,
    liveness,
    ...(position === undefined ? {} : { lat: position.lat, lon: position.lon }),
    ...(speed === undefined ? {} : { speed }),
    ...(heading === undefined ? {} : { heading }),
  };
}

export function figuresOf(
  twins: Twin[],
  mecs: { id: string; twins: number }[],
  migrations: Migration[],
  rejected: number | undefined,
): Figures {
  let messagesPerS = 0;
  for (const twin of twins) for (const rate of Object.values(twin.messageRates)) messagesPerS += rate;
  const counts = { running: 0, completed: 0, failed: 0, "rolled-back": 0 };
  for (const migration of migrations) counts[migration.status]++;
  return {
    twins: twins.length,
    mecs,
    messagesPerS: Math.round(messagesPerS * 10) / 10,
    ...(rejected === undefined ? {} : { rejected }),
    migrations: counts,
  };
}

export interface FeedChanges {
  twins: TwinMarker[];
  removed: string[];
  migrations: Migration[];
  figures?: Figures;
}

const markerKey = (m: TwinMarker) =>
  `${m.mec}|${m.status}|${m.liveness}|${m.lat}|${m.lon}|${m.speed}|${m.heading}|${m.stationType}`;
const migrationKey = (m: Migration) => `${m.status}|${m.step}|${m.timeUntilReadyMs}|${m.timeUntilDoneMs}`;

/** Remembers the last reading and answers what changed since; also the whole current state. */
export class FeedDiff {
  private twins = new Map<string, { key: string; marker: TwinMarker }>();
  private migrations = new Map<string, string>();
  private figures: string | undefined;
  private last: FeedState | undefined;

  next(state: FeedState): FeedChanges {
    const twins = new Map<string, { key: string; marker: TwinMarker }>();
    const changed: TwinMarker[] = [];
    for (const marker of state.twins) {
      const key = markerKey(marker);
      twins.set(marker.id, { key, marker });
      if (this.twins.get(marker.id)?.key !== key) changed.push(marker);
    }
    const removed = [...this.twins.keys()].filter((id) => !twins.has(id));
    const migrations = new Map<string, string>();
    const changedMigrations: Migration[] = [];
    for (const migration of state.migrations) {
      const key = migrationKey(migration);
      migrations.set(migration.id, key);
      if (this.migrations.get(migration.id) !== key) changedMigrations.push(migration);
    }
    const figures = JSON.stringify(state.figures);
    const figuresChanged = figures !== this.figures;
    this.twins = twins;
    this.migrations = migrations;
    this.figures = figures;
    this.last = state;
    return {
      twins: changed,
      removed,
      // Oldest first, so a client applies them in the order they happened.
      migrations: changedMigrations.reverse(),
      ...(figuresChanged ? { figures: state.figures } : {}),
    };
  }

  /** The whole last reading as changes (what a client that just connected needs), if any. */
  current(recentMigrations: number): FeedChanges | undefined {
    if (this.last === undefined) return undefined;
    return {
      twins: this.last.twins,
      removed: [],
      migrations: this.last.migrations.slice(0, recentMigrations).reverse(),
      figures: this.last.figures,
    };
  }
}

/**
 * The pause before the next reading: `intervalMs`, or longer when a reading took so long that
 * reading at that pace would take more than `maxShare` of the thread (the API's state of
 * thousands of twins is not free to read, and the stack shares the thread).
 */
export function nextReadDelayMs(intervalMs: number, lastReadMs: number, maxShare: number): number {
  return Math.max(intervalMs, lastReadMs / maxShare - lastReadMs);
}

/** One server-sent event: `event:` and one `data:` line (JSON has no raw newlines). */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A client's events not yet written: the latest marker per twin, removals, the latest state
 * per migration (at most `maxMigrations`, the oldest dropped first), and the latest figures.
 */
export class PendingEvents {
  private readonly twins = new Map<string, TwinMarker>();
  private readonly removed = new Set<string>();
  private readonly migrations = new Map<string, Migration>();
  private figures: Figures | undefined;

  constructor(private readonly maxMigrations = 100) {}

  add(changes: FeedChanges): void {
    for (const id of changes.removed) {
      this.twins.delete(id);
      this.removed.add(id);
    }
    for (const marker of changes.twins) {
      this.removed.delete(marker.id);
      this.twins.set(marker.id, marker);
    }
    for (const migration of changes.migrations) {
      this.migrations.delete(migration.id);
      this.migrations.set(migration.id, migration);
    }
    while (this.migrations.size > this.maxMigrations) {
      const oldest = this.migrations.keys().next().value as string;
      this.migrations.delete(oldest);
    }
    if (changes.figures !== undefined) this.figures = changes.figures;
  }

  /** Entries held: at most twins + removed twins + maxMigrations + 1. */
  get size(): number {
    return this.twins.size + this.removed.size + this.migrations.size + (this.figures === undefined ? 0 : 1);
  }

  /**
   * Takes events up to about `maxChars` (at least one) as SSE text, removing them: migrations
   * and removals first (rare, and a list must not miss them), then twins, then the figures.
   */
  take(maxChars: number): string {
    let text = "";
    const full = () => text.length >= maxChars;
    for (const [id, migration] of this.migrations) {
      if (full()) return text;
      text += sseEvent("migration", migration);
      this.migrations.delete(id);
    }
    for (const id of this.removed) {
      if (full()) return text;
      text += sseEvent("twin-removed", { id });
      this.removed.delete(id);
    }
    for (const [id, marker] of this.twins) {
      if (full()) return text;
      text += sseEvent("twin", marker);
      this.twins.delete(id);
    }
    if (this.figures !== undefined && !full()) {
      text += sseEvent("figures", this.figures);
      this.figures = undefined;
    }
    return text;
  }
}
