/**
 * The histories of one MEC's twins (history.ts), as the twin service keeps them: recorded after
 * each applied event (a map look-up and a time comparison, unless a sample is due), written to
 * the history store in one round trip per batch, read back at start, carried by snapshots.
 */
import type { Logger } from "../log.ts";
import type { Twin } from "../model/twin.ts";
import {
  type HistoryOptions,
  historyCapacity,
  TwinHistory,
  type TwinHistoryData,
  type TwinHistoryState,
} from "./state/history.ts";
import type { HistoryAppend, HistoryStore } from "./store/historyStore.ts";

export class HistoryBook {
  private readonly histories = new Map<string, TwinHistory>();
  private pending: HistoryAppend[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly options: HistoryOptions,
    private readonly log: Logger,
    private readonly store?: HistoryStore,
  ) {}

  /** Samples the twin's state at `nowMs` (receipt time) when one is due. */
  record(twin: Twin, nowMs: number): void {
    let history = this.histories.get(twin.id);
    if (history === undefined) {
      history = new TwinHistory(this.options);
      this.histories.set(twin.id, history);
    }
    // Most CAMs come within the interval of the last sample: one comparison, nothing else.
    if (!history.isDue(nowMs) && twin.perceivedObjects.length === 0) return;
    const objectsBefore = history.lastObjects();
    const added = history.record(twin, nowMs);
    if (!this.store) return;
    const objects = history.lastObjects();
    if (!added && objects === objectsBefore) return;
    const entry: HistoryAppend = { id: twin.id };
    if (added) entry.row = history.lastRow() as NonNullable<HistoryAppend["row"]>;
    if (objects !== objectsBefore && objects !== undefined) entry.objects = objects;
    this.pending.push(entry);
  }

  /** Writes what was recorded since the last call (in order, one write at a time). */
  persist(): Promise<void> {
    const store = this.store;
    if (!store || this.pending.length === 0) return this.writing;
    const batch = this.pending;
    this.pending = [];
    const capacity = historyCapacity(this.options);
    this.writing = this.writing
      .then(() => store.append(batch, capacity.samples, capacity.objects))
      .catch((error: unknown) =>
        this.log.error({ err: error, samples: batch.length }, "twin history not written"),
      );
    return this.writing;
  }

  /** The twin's samples within the range and the history's duration, or undefined when it has none. */
  range(id: string, sinceMs: number, untilMs: number, nowMs: number): TwinHistoryData | undefined {
    const history = this.histories.get(id);
    if (history === undefined) return undefined;
    return history.range(Math.max(sinceMs, nowMs - this.options.durationMs), untilMs);
  }

  state(id: string): TwinHistoryState | undefined {
    return this.histories.get(id)?.state();
  }

  /** Installs a migrated twin's history (before its parked events add to it), and keeps it in the store. */
  async install(id: string, state: TwinHistoryState): Promise<void> {
    const history = new TwinHistory(this.options);
    history.restore(state);
    const existing = this.histories.get(id);
    // Samples recorded here before the snapshot came (none, normally) follow the snapshot's.
    if (existing) history.restore(existing.state());
    this.histories.set(id, history);
    await this.writing;
    await this.store?.replace(id, history.state());
  }

  /** Reads the kept histories of these twins back (a restart). */
  async load(ids: readonly string[]): Promise<void> {
    if (!this.store) return;
    for (const [id, state] of await this.store.load(ids)) {
      const history = new TwinHistory(this.options);
      history.restore(state);
      this.histories.set(id, history);
    }
  }

  /** Drops a twin's history here (released after a migration, or expired), and in the store. */
  async forget(id: string): Promise<void> {
    this.histories.delete(id);
    this.pending = this.pending.filter((entry) => entry.id !== id);
    await this.writing;
    await this.store?.delete(id);
  }

  /** Resolves when every write asked for so far is done. */
  async settled(): Promise<void> {
    await this.persist();
  }
}
