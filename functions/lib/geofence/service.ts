/**
 * The geofence function's shell: keeps the per-twin decision state, turns `twin.created` /
 * `twin.updated` into fixes, and emits `migration.requested`. It learns how a migration
 * ended from the twin events themselves (the home changed: completed; the twin stopped
 * migrating at the same home: rolled back), so in a cluster it needs no more Triggers than
 * twin.*; in one process it can also be told at once through `noteMigration` (wire the
 * engine's onChange) or `migration.*` events, so it never asks twice while one runs and
 * honours the cooldown after one ended.
 */
import { createHash } from "node:crypto";
import { CloudEvent, type CloudEventV1 } from "cloudevents";
import type { Config } from "../config.ts";
import { EXTENSIONS, eventSource, parseEventData } from "../events.ts";
import { componentLogger, type Logger } from "../log.ts";
import type { Migration, MigrationRequest } from "../model/migration.ts";
import type { Twin } from "../model/twin.ts";
import type { EventSink } from "../runtime/emit/sink.ts";
import { migrationLogContext } from "../tracing.ts";
import {
  DEFAULT_GEOFENCE_OPTIONS,
  type Decision,
  decide,
  type GeofenceOptions,
  type GeofenceState,
  noteMigration,
  TYPICAL_READY_S,
  type ZoneLookup,
} from "./decide.ts";

export interface GeofenceServiceOptions {
  zones: ZoneLookup;
  sink: EventSink;
  options?: Partial<GeofenceOptions>;
  /**
   * The twin's home (the home registry). Without it the MEC named in the twin event is
   * the home. With it, a twin without a home gets its first home.
   */
  homeOf?: (twin: string) => string | undefined;
  /**
   * First home at the MEC already holding the twin: no migration, just record the home.
   * Without `homeOf` (a cluster), a new twin instead gets a first-placement request to its own
   * MEC, so that the migration function gives it its twin CNF there.
   */
  onFirstHome?: (twin: string, mec: string) => void;
  /** MEC this geofence runs in, for the events' source. */
  mec?: string;
  now?: () => number;
  logger?: Logger;
}

const MIGRATION_STATUS_EVENTS = new Set([
  "io.vvcu.migration.started",
  "io.vvcu.migration.ready",
  "io.vvcu.migration.completed",
  "io.vvcu.migration.failed",
  "io.vvcu.migration.rolledback",
]);

/** The same twin, route and start of evidence give the same id: a repeated request is a duplicate. */
export function geofenceMigrationId(twin: string, from: string, to: string, sinceMs: number): string {
  const digest = createHash("sha256").update(`${twin}\u0000${from}\u0000${to}\u0000${sinceMs}`).digest("hex");
  return `geo-${digest.slice(0, 24)}`;
}

export class GeofenceService {
  private readonly states = new Map<string, GeofenceState>();
  private readonly options: GeofenceOptions;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(private readonly config: GeofenceServiceOptions) {
    this.options = { ...DEFAULT_GEOFENCE_OPTIONS, ...config.options };
    this.now = config.now ?? Date.now;
    this.logger = config.logger ?? componentLogger("geofence");
  }

  /** Twin events give decisions; migration events update the state; anything else is ignored. */
  async handle(event: CloudEventV1<unknown>): Promise<Decision | undefined> {
    if (event.type === "io.vvcu.twin.created" || event.type === "io.vvcu.twin.updated") {
      const parsed = parseEventData(event.type, event.data);
      if (!parsed.ok) {
        this.logger.warn({ eventId: event.id, reason: parsed.reason }, "ignoring malformed twin event");
        return undefined;
      }
      const traceparent = event[EXTENSIONS.traceparent];
      const trace = typeof traceparent === "string" ? traceparent : undefined;
      if (event.type === "io.vvcu.twin.created" && this.config.homeOf === undefined) {
        await this.placeAtFirstHome(parsed.data.twin, trace);
      }
      return this.onTwin(parsed.data.twin, trace);
    }
    if (MIGRATION_STATUS_EVENTS.has(event.type)) {
      const parsed = parseEventData("io.vvcu.migration.started", event.data);
      if (parsed.ok) this.noteMigration(parsed.data.migration);
      return undefined;
    }
    if (event.type === "io.vvcu.twin.expired") {
      const parsed = parseEventData("io.vvcu.twin.expired", event.data);
      if (parsed.ok) this.states.delete(parsed.data.id);
    }
    return undefined;
  }

  noteMigration(migration: Migration): void {
    const state = this.states.get(migration.twin) ?? {};
    this.states.set(migration.twin, noteMigration(state, migration, this.now(), this.options));
  }

  stateOf(twin: string): GeofenceState | undefined {
    return this.states.get(twin);
  }

  private async onTwin(twin: Twin, traceparent: string | undefined): Promise<Decision | undefined> {
    const timeMs = Date.parse(twin.lastSeen);
    if (Number.isNaN(timeMs)) return undefined;
    const home = this.config.homeOf === undefined ? twin.mec : this.config.homeOf(twin.id);
    const { state, decision } = decide(
      this.states.get(twin.id) ?? {},
      { timeMs, position: twin.position, speed: twin.speed, heading: twin.heading },
      {
        home,
        migrating: twin.status === "migrating",
        nowMs: this.now(),
        zones: this.config.zones,
        options: this.options,
      },
    );
    const previous = this.states.get(twin.id);
    this.states.set(twin.id, state);
    try {
      if (decision.kind === "place") {
        if (decision.mec === twin.mec) this.config.onFirstHome?.(twin.id, decision.mec);
        else
          await this.requestMigration(
            twin.id,
            twin.mec,
            decision.mec,
            "first-placement",
            timeMs,
            traceparent,
          );
      } else if (decision.kind === "migrate" && home !== undefined) {
        await this.requestMigration(
          twin.id,
          home,
          decision.to,
          decision.reason,
          decision.sinceMs,
          traceparent,
        );
      }
    } catch (error) {
      // Undo, so the redelivered event (Knative retries on error) decides the same way again.
      if (previous === undefined) this.states.delete(twin.id);
      else this.states.set(twin.id, previous);
      throw error;
    }
    return decision;
  }

  /**
   * In a cluster the twin function creates a twin at the MEC whose events it got, and only a
   * twin CNF can be a migration's source: ask for one there (from and to the same MEC). Not
   * marked running: deploying it at its first home does not move the twin, and a crossing may follow at once.
   */
  private async placeAtFirstHome(twin: Twin, traceparent: string | undefined): Promise<void> {
    const created = Date.parse(twin.createdAt);
    const sinceMs = Number.isNaN(created) ? Date.parse(twin.lastSeen) : created;
    const before = this.states.get(twin.id);
    try {
      await this.requestMigration(twin.id, twin.mec, twin.mec, "first-placement", sinceMs, traceparent);
    } finally {
      if (before === undefined) this.states.delete(twin.id);
      else this.states.set(twin.id, before);
    }
  }

  private async requestMigration(
    twin: string,
    from: string,
    to: string,
    reason: MigrationRequest["reason"],
    sinceMs: number,
    traceparent: string | undefined,
  ): Promise<void> {
    const request: MigrationRequest = {
      id: geofenceMigrationId(twin, from, to, sinceMs),
      twin,
      from,
      to,
      trigger: "geofence",
      reason,
      requestedAt: new Date(this.now()).toISOString(),
    };
    const state = this.states.get(twin) ?? {};
    this.states.set(twin, { ...state, running: { to, sinceMs: this.now(), migrationId: request.id } });
    const mec = this.config.mec ?? from;
    this.logger.info(
      { ...migrationLogContext(request, traceparent), from, to, reason },
      "requesting migration",
    );
    await this.config.sink.emit(
      new CloudEvent({
        type: "io.vvcu.migration.requested",
        source: eventSource(mec, "geofence"),
        subject: twin,
        datacontenttype: "application/json",
        data: request,
        [EXTENSIONS.migration]: request.id,
        [EXTENSIONS.mec]: mec,
        ...(traceparent === undefined ? {} : { [EXTENSIONS.traceparent]: traceparent }),
      }),
    );
  }
}

/** Geofence options from the environment; the lead defaults to the driver's typical time until ready. */
export function geofenceOptionsFromConfig(config: Config, driver: string): GeofenceOptions {
  return {
    ...DEFAULT_GEOFENCE_OPTIONS,
    marginM: config.VVCU_GEOFENCE_MARGIN_M,
    minDwellMs: config.VVCU_GEOFENCE_MIN_DWELL_S * 1000,
    minFixes: config.VVCU_GEOFENCE_MIN_FIXES,
    cooldownMs: config.VVCU_GEOFENCE_COOLDOWN_S * 1000,
    prediction: config.VVCU_GEOFENCE_PREDICTION,
    leadS: config.VVCU_GEOFENCE_LEAD_S ?? TYPICAL_READY_S[driver] ?? DEFAULT_GEOFENCE_OPTIONS.leadS,
  };
}
