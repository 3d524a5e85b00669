/**
 * Where twins' histories are kept beyond the process (history.ts holds them in memory): with the
 * Redis store, a list of rows and one of object records per twin, appended a sample at a time
 * (one pipeline per batch of events) and trimmed to the history's capacity, so a restarted
 * service reads them back. Without one (the memory store) a history lives as long as the process.
 */
import type { Redis } from "ioredis";
import {
  type HistoryRow,
  type ObjectsRecord,
  TwinHistory,
  type TwinHistoryData,
  type TwinHistoryState,
} from "../state/history.ts";
import type { TwinOptions } from "../state/options.ts";

export interface HistoryAppend {
  id: string;
  row?: HistoryRow;
  objects?: ObjectsRecord;
}

export interface HistoryStore {
  /** Adds samples, each kept at most `capacity` rows / `objectsCapacity` records per twin. */
  append(entries: readonly HistoryAppend[], capacity: number, objectsCapacity: number): Promise<void>;
  /** The kept histories of these twins (absent when none), oldest first. */
  load(ids: readonly string[]): Promise<Map<string, TwinHistoryState>>;
  /** Replaces a twin's kept history (a migrated twin arriving). */
  replace(id: string, state: TwinHistoryState): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface RedisHistoryStoreOptions {
  client: Redis;
  /** The key prefix of the MEC's twins (`${prefix}:${mec}:`, as the twin store's). */
  keyPrefix: string;
  /** Kept histories of twins no longer written vanish after this long. */
  retainMs: number;
}

export class RedisHistoryStore implements HistoryStore {
  constructor(private readonly options: RedisHistoryStoreOptions) {}

  private rowsKey(id: string): string {
    return `${this.options.keyPrefix}history:${id}`;
  }

  private objectsKey(id: string): string {
    return `${this.options.keyPrefix}history-objects:${id}`;
  }

  async append(entries: readonly HistoryAppend[], capacity: number, objectsCapacity: number): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.options.client.pipeline();
    for (const { id, row, objects } of entries) {
      if (row) this.pushTo(pipeline, this.rowsKey(id), JSON.stringify(row), capacity);
      if (objects) this.pushTo(pipeline, this.objectsKey(id), JSON.stringify(objects), objectsCapacity);
    }
    await execAll(pipeline, "append history");
  }

  async load(ids: readonly string[]): Promise<Map<string, TwinHistoryState>> {
    const found = new Map<string, TwinHistoryState>();
    if (ids.length === 0) return found;
    const pipeline = this.options.client.pipeline();
    for (const id of ids) pipeline.lrange(this.rowsKey(id), 0, -1).lrange(this.objectsKey(id), 0, -1);
    const replies = await execAll(pipeline, "load history");
    ids.forEach((id, index) => {
      const rows = replies[index * 2] as string[];
      const objects = replies[index * 2 + 1] as string[];
      if (rows.length === 0 && objects.length === 0) return;
      found.set(id, {
        rows: rows.map((row) => JSON.parse(row) as HistoryRow),
        objects: objects.map((record) => JSON.parse(record) as ObjectsRecord),
      });
    });
    return found;
  }

  async replace(id: string, state: TwinHistoryState): Promise<void> {
    const multi = this.options.client.multi().del(this.rowsKey(id), this.objectsKey(id));
    if (state.rows.length > 0) {
      multi.rpush(this.rowsKey(id), ...state.rows.map((row) => JSON.stringify(row)));
      multi.pexpire(this.rowsKey(id), this.options.retainMs);
    }
    if (state.objects.length > 0) {
      multi.rpush(this.objectsKey(id), ...state.objects.map((record) => JSON.stringify(record)));
      multi.pexpire(this.objectsKey(id), this.options.retainMs);
    }
    await execAll(multi, `replace history of ${id}`);
  }

  async delete(id: string): Promise<void> {
    await this.options.client.del(this.rowsKey(id), this.objectsKey(id));
  }

  private pushTo(pipeline: ReturnType<Redis["pipeline"]>, key: string, value: string, keep: number): void {
    pipeline.rpush(key, value).ltrim(key, -keep, -1).pexpire(key, this.options.retainMs);
  }
}

async function execAll(pipeline: ReturnType<Redis["pipeline"]>, what: string): Promise<unknown[]> {
  const replies = await pipeline.exec();
  if (replies === null) throw new Error(`history store: ${what} was aborted`);
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

/** Histories read from a store on each request: how a reader without the twins (the manager) answers. */
export class StoredHistories {
  constructor(
    private readonly store: HistoryStore,
    private readonly options: Pick<
      TwinOptions,
      "historyMs" | "historyIntervalMs" | "historyObjectsIntervalMs"
    >,
    private readonly clock: () => number = Date.now,
  ) {}

  async range(id: string, sinceMs: number, untilMs: number): Promise<TwinHistoryData | undefined> {
    const state = (await this.store.load([id])).get(id);
    if (state === undefined) return undefined;
    const history = new TwinHistory({
      durationMs: this.options.historyMs,
      intervalMs: this.options.historyIntervalMs,
      objectsIntervalMs: this.options.historyObjectsIntervalMs,
    });
    history.restore(state);
    return history.range(Math.max(sinceMs, this.clock() - this.options.historyMs), untilMs);
  }
}
