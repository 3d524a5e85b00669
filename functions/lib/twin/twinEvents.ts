/**
 * The outgoing side of the twin service: what it knows of each twin of its MEC in memory (latest
 * state, position for neighbours, status for the gauge) and the twin.* CloudEvents it sends,
 * with `twin.updated` coalesced per twin.
 */
import {
  type EventType,
  EXTENSIONS,
  eventSource,
  markOwnEventData,
  type OwnEventAttributes,
  ownCloudEvent,
} from "../events.ts";
import type { BBox } from "../geo/types.ts";
import type { Logger } from "../log.ts";
import { metrics } from "../metrics.ts";
import type { Twin, TwinStatus } from "../model/twin.ts";
import type { EventSink } from "../runtime/emit/sink.ts";
import { traceIdOf } from "../tracing.ts";
import { type Circle, twinsInBox, twinsWithin } from "./areaQuery.ts";
import { Coalescer } from "./coalescer.ts";
import { NeighbourIndex } from "./neighbours.ts";
import { copyTwin } from "./state/copyTwin.ts";
import type { TwinOptions } from "./state/options.ts";

export class TwinEvents {
  private readonly positions: NeighbourIndex;
  private readonly statuses = new Map<string, TwinStatus>();
  /** The last state seen of each twin and the trace it came with: what a trailing update sends. */
  private readonly latest = new Map<string, { twin: Twin; traceparent: string | undefined }>();
  private readonly coalescer: Coalescer;
  /** Twins seen for the first time whose `twin.created` waits for its turn (coalescer.ts). */
  private readonly unannounced = new Set<string>();
  private readonly sending = new Set<Promise<void>>();
  private readonly source: string;

  constructor(
    private readonly mec: string,
    private readonly sink: EventSink,
    options: TwinOptions,
    clock: () => number,
    private readonly log: Logger,
  ) {
    this.source = eventSource(mec, "twin");
    this.positions = new NeighbourIndex(options.neighbourRadiusM, options.maxNeighbours);
    this.coalescer = new Coalescer({
      minIntervalMs: 1000 / options.maxUpdatesPerSecond,
      send: (id) => this.sendLatest(id),
      now: clock,
    });
  }

  knows(twinId: string): boolean {
    return this.latest.has(twinId);
  }

  traceOf(twinId: string): string | undefined {
    return this.latest.get(twinId)?.traceparent;
  }

  /**
   * A twin seen for the first time: `twin.created`, in the coalescer's turns like the updates, so
   * that a thousand stations appearing at once are announced over a few turns of the event loop,
   * not in one run that holds the API up; a change before it goes out is carried by it.
   */
  created(twin: Twin, traceparent: string | undefined): void {
    this.remember(twin, traceparent);
    this.unannounced.add(twin.id);
    this.coalescer.touch(twin.id);
  }

  /** A twin changed: `twin.updated`, coalesced. */
  changed(twin: Twin, traceparent: string | undefined): void {
    this.remember(twin, traceparent);
    this.coalescer.touch(twin.id);
  }

  expired(twinId: string, lastSeen: string): void {
    this.forget(twinId);
    this.emit("io.vvcu.twin.expired", twinId, { id: twinId, mec: this.mec, lastSeen });
  }

  /** Keeps a twin's state for neighbours and the gauge without sending anything. */
  remember(twin: Twin, traceparent: string | undefined): void {
    const latest = this.latest.get(twin.id);
    if (latest) {
      // in place: one object fewer per event on the hot path
      latest.twin = twin;
      latest.traceparent = traceparent;
    } else {
      this.latest.set(twin.id, { twin, traceparent });
    }
    if (twin.position) {
      this.positions.upsert(twin.id, {
        lat: twin.position.lat,
        lon: twin.position.lon,
        speed: twin.speed ?? 0,
      });
    }
    const previous = this.statuses.get(twin.id);
    if (previous !== twin.status) {
      if (previous) metrics.twins.dec({ mec: this.mec, status: previous });
      metrics.twins.inc({ mec: this.mec, status: twin.status });
      this.statuses.set(twin.id, twin.status);
    }
  }

  /** Drops a twin (released or expired), with any update still pending for it. */
  forget(twinId: string): void {
    this.coalescer.cancel(twinId);
    this.unannounced.delete(twinId);
    this.latest.delete(twinId);
    this.positions.remove(twinId);
    const status = this.statuses.get(twinId);
    if (status) metrics.twins.dec({ mec: this.mec, status });
    this.statuses.delete(twinId);
  }

  /**
   * The latest state of the twins in the area, from the spatial index: copies with their
   * neighbours, or (`neighbours: false`, for an answer that does not show them) the states as
   * kept, neighbours not worked out, to be read and not changed.
   */
  inArea(area: { bbox?: BBox; near?: Circle }, { neighbours = true }: { neighbours?: boolean } = {}): Twin[] {
    let ids: Iterable<string>;
    if (area.near) ids = twinsWithin(this.positions, area.near);
    else if (area.bbox) ids = twinsInBox(this.positions, area.bbox);
    else ids = this.latest.keys();
    const twins: Twin[] = [];
    for (const id of ids) {
      const latest = this.latest.get(id);
      if (latest) twins.push(neighbours ? this.withNeighbours(latest.twin) : latest.twin);
    }
    return twins;
  }

  withNeighbours(twin: Twin): Twin {
    const copy = copyTwin(twin);
    copy.neighbours = this.positions.near(twin.id);
    return copy;
  }

  /** Sends every pending update now and waits for all sends. */
  async flush(): Promise<void> {
    this.coalescer.flush();
    await Promise.all([...this.sending]);
  }

  private sendLatest(twinId: string): void {
    const latest = this.latest.get(twinId);
    if (!latest) return;
    const type = this.unannounced.delete(twinId) ? "io.vvcu.twin.created" : "io.vvcu.twin.updated";
    this.emit(
      type,
      twinId,
      markOwnEventData(type, { twin: this.withNeighbours(latest.twin) }),
      latest.traceparent,
    );
  }

  private emit(type: EventType, subject: string, data: unknown, traceparent?: string): void {
    // Not validated again here: every attribute is ours (catalog type, source, extension
    // names of events.ts), and validating was a tenth of the cost of an update sent.
    const attributes: OwnEventAttributes<unknown> = {
      type,
      source: this.source,
      subject,
      datacontenttype: "application/json",
      data,
      [EXTENSIONS.mec]: this.mec,
    };
    if (traceparent) attributes[EXTENSIONS.traceparent] = traceparent;
    const event = ownCloudEvent(attributes);
    if (this.log.isLevelEnabled("debug")) {
      this.log.debug({ stationId: subject, traceId: traceIdOf(traceparent), type }, "emitting");
    }
    const sending = this.sink
      .emit(event)
      .catch((error: unknown) => this.log.error({ err: error, type, subject }, "twin event not delivered"))
      .finally(() => this.sending.delete(sending));
    this.sending.add(sending);
  }
}
