/**
 * What the proxy keeps between events: the latest state of each twin, where each twin lives, and
 * its migrations. Each change answers with the dashboard publications it causes; the system-wide
 * ones are computed separately, so the service can throttle them.
 */
import type { Migration } from "../model/migration.ts";
import type { Twin } from "../model/twin.ts";
import { dashboardTopics } from "../topics.ts";
import { JsonText } from "./publisher.ts";
import {
  dashboardMigration,
  dashboardObjects,
  dashboardTwin,
  type MigrationTotals,
  mecRows,
  systemFigures,
  type TwinMigrations,
  twinCensus,
} from "./reshape.ts";

export interface Publication {
  topic: string;
  /** JSON value or JsonText; null clears a retained topic (an empty MQTT message). */
  payload: unknown;
  retain: boolean;
  /** For the published-messages metric. */
  kind: string;
}

export type MigrationEventType = "started" | "ready" | "completed" | "failed" | "rolledback";

/** Distinct migration outcomes remembered so that redelivered events count once. */
const COUNTED_OUTCOMES_LIMIT = 10_000;

/**
 * A twin with its dashboard row, serialised once when the twin changes: the list of all twins,
 * published every second, joins these rows instead of serialising every twin again.
 */
interface ShownTwin {
  twin: Twin;
  row: JsonText;
}

export class ProxyState {
  private readonly twins = new Map<string, ShownTwin>();
  private readonly homes = new Map<string, string>();
  private readonly mecs = new Set<string>();
  private readonly migrations = new Map<string, TwinMigrations>();
  private readonly running = new Set<string>();
  private readonly counted = new Set<string>();
  private readonly totals = { completed: 0, failed: 0, rolledBack: 0 };
  /** Twins whose retained objects topic holds an empty list, as most vehicles' does. */
  private readonly withoutObjects = new Set<string>();

  /** MECs to list even before a twin lives there (e.g. from the topology). */
  constructor(knownMecs: string[] = []) {
    for (const mec of knownMecs) this.mecs.add(mec);
  }

  twin(id: string): Twin | undefined {
    return this.twins.get(id)?.twin;
  }

  /**
   * A twin.created / twin.updated. During a migration both MECs report the twin; the home's
   * reports and anything newer (by sequence) are taken, an older report from elsewhere is not.
   */
  applyTwin(twin: Twin): Publication[] {
    const known = this.twins.get(twin.id)?.twin;
    const home = this.homes.get(twin.id) ?? twin.mec;
    if (known && twin.mec !== home && twin.sequence <= known.sequence) return [];
    this.homes.set(twin.id, home);
    this.mecs.add(twin.mec);
    return this.show(twin);
  }

  /** A twin.expired: the twin is gone from that MEC; if that was its home, from the dashboards too. */
  expire(id: string, mec: string): Publication[] {
    if (this.homes.get(id) !== mec) return [];
    this.twins.delete(id);
    this.homes.delete(id);
    this.withoutObjects.delete(id);
    return [dashboardTopics.twin(id), dashboardTopics.twinObjects(id)].map((topic) => ({
      topic,
      payload: null,
      retain: true,
      kind: "clear",
    }));
  }

  applyMigration(type: MigrationEventType, migration: Migration): Publication[] {
    const publications: Publication[] = [
      {
        topic: dashboardTopics.migrations,
        payload: { event: type, ...migration },
        retain: false,
        kind: "migration-event",
      },
    ];
    const firstTime = this.countOnce(type, migration.id);
    if (type === "started") this.running.add(migration.id);
    else if (type !== "ready") this.running.delete(migration.id);
    if (firstTime && type === "completed") this.totals.completed++;
    if (firstTime && type === "failed") this.totals.failed++;
    if (firstTime && type === "rolledback") this.totals.rolledBack++;

    const previous = this.migrations.get(migration.twin);
    const record: TwinMigrations = {
      latest: migration,
      timeUntilReadyMs: migration.timeUntilReadyMs ?? previous?.timeUntilReadyMs,
      timeUntilDoneMs: migration.timeUntilDoneMs ?? previous?.timeUntilDoneMs,
      completed: (previous?.completed ?? 0) + (firstTime && type === "completed" ? 1 : 0),
    };
    this.migrations.set(migration.twin, record);
    publications.push({
      topic: dashboardTopics.twinMigration(migration.twin),
      payload: dashboardMigration(record),
      retain: true,
      kind: "migration",
    });

    this.mecs.add(migration.from);
    this.mecs.add(migration.to);
    if (type === "completed") this.homes.set(migration.twin, migration.to);
    const twin = this.twins.get(migration.twin)?.twin;
    if (twin) {
      const status = type === "started" || type === "ready" ? "migrating" : "stable";
      const mec = type === "completed" ? migration.to : twin.mec;
      if (status !== twin.status || mec !== twin.mec) {
        publications.push(...this.show({ ...twin, status, mec } as Twin));
      }
    }
    return publications;
  }

  migrationTotals(): MigrationTotals {
    return { ...this.totals, running: this.running.size };
  }

  /** The system-wide topics, from the current state. */
  systemPublications(nowMs: number): Publication[] {
    const shown = [...this.twins.values()];
    const twins = shown.map(({ twin }) => twin);
    const census = twinCensus(twins);
    const mecs = [...this.mecs].sort();
    return [
      {
        topic: dashboardTopics.system,
        payload: systemFigures(census, mecs, this.migrationTotals(), nowMs),
        retain: true,
        kind: "system",
      },
      { topic: dashboardTopics.mecs, payload: mecRows(census, mecs), retain: true, kind: "mecs" },
      {
        topic: dashboardTopics.twinsAll,
        payload: new JsonText(`[${shown.map(({ row }) => row.text).join(",")}]`),
        retain: true,
        kind: "twins",
      },
      {
        topic: dashboardTopics.objectsAll,
        payload: twins.flatMap(dashboardObjects),
        retain: true,
        kind: "objects",
      },
    ];
  }

  /** Keeps the twin's latest state and row; answers with its topics. */
  private show(twin: Twin): Publication[] {
    const row = new JsonText(JSON.stringify(dashboardTwin(twin)));
    this.twins.set(twin.id, { twin, row });
    return this.twinPublications(twin, row);
  }

  /**
   * The twin's topic, and its objects topic unless that already holds the empty list it would get:
   * a twin that perceives nothing sent "[]" with every update, half of the proxy's publications.
   */
  private twinPublications(twin: Twin, row: JsonText): Publication[] {
    const publications: Publication[] = [
      { topic: dashboardTopics.twin(twin.id), payload: row, retain: true, kind: "twin" },
    ];
    const objects = dashboardObjects(twin);
    if (objects.length > 0 || !this.withoutObjects.has(twin.id)) {
      publications.push({
        topic: dashboardTopics.twinObjects(twin.id),
        payload: objects.map(({ lat, lon }) => ({ lat, lon })),
        retain: true,
        kind: "twin-objects",
      });
    }
    if (objects.length === 0) this.withoutObjects.add(twin.id);
    else this.withoutObjects.delete(twin.id);
    return publications;
  }

  private countOnce(type: MigrationEventType, id: string): boolean {
    const key = `${type}:${id}`;
    if (this.counted.has(key)) return false;
    if (this.counted.size >= COUNTED_OUTCOMES_LIMIT) this.counted.clear();
    this.counted.add(key);
    return true;
  }
}
