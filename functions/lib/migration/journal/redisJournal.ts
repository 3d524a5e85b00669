/**
 * The migration journal in Redis, for a migration function in a cluster whose pod may be
 * replaced: the latest entry of each migration in a hash, the order of first appearance in a
 * sorted set. One MULTI per append, so a crash never leaves one without the other.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { JournalEntry } from "../engine/record.ts";
import type { MigrationJournal } from "./journal.ts";
import { JournalEntrySchema } from "./journal.ts";

export interface RedisJournalOptions {
  url?: string;
  client?: Redis;
  /** Key prefix; several engines (e.g. tests) can share one Redis. */
  prefix?: string;
  /** Finished migrations kept when loading. */
  keepFinished?: number;
  commandTimeoutMs?: number;
}

export class RedisJournal implements MigrationJournal {
  private readonly redis: Redis;
  private readonly ownsClient: boolean;
  private readonly entriesKey: string;
  private readonly orderKey: string;
  private sequence = 0;

  constructor(private readonly options: RedisJournalOptions) {
    if (!options.client && !options.url) throw new Error("RedisJournal needs a url or a client");
    const redisOptions: RedisOptions = {
      commandTimeout: options.commandTimeoutMs ?? 5_000,
      connectTimeout: 5_000,
      maxRetriesPerRequest: 2,
      lazyConnect: false,
    };
    this.redis = options.client ?? new Redis(options.url as string, redisOptions);
    this.ownsClient = options.client === undefined;
    const prefix = options.prefix ?? "vvcu:migrations";
    this.entriesKey = `${prefix}:entries`;
    this.orderKey = `${prefix}:order`;
  }

  async append(entry: JournalEntry): Promise<void> {
    // Order by first appearance: the score is only set when the id is new (NX).
    const score = Date.now() * 1000 + (this.sequence++ % 1000);
    await this.redis
      .multi()
      .hset(this.entriesKey, entry.migration.id, JSON.stringify(entry))
      .zadd(this.orderKey, "NX", score, entry.migration.id)
      .exec();
  }

  async load(): Promise<JournalEntry[]> {
    const ids = await this.redis.zrange(this.orderKey, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.hmget(this.entriesKey, ...ids);
    const entries: JournalEntry[] = [];
    const unreadable: string[] = [];
    values.forEach((value, index) => {
      const parsed = value === null ? undefined : parse(value);
      if (parsed === undefined) unreadable.push(ids[index] as string);
      else entries.push(parsed);
    });
    const finished = entries.filter((entry) => entry.migration.status !== "running");
    const drop = finished.slice(0, Math.max(0, finished.length - (this.options.keepFinished ?? 1000)));
    const forget = [...unreadable, ...drop.map((entry) => entry.migration.id)];
    if (forget.length > 0) {
      await this.redis
        .multi()
        .hdel(this.entriesKey, ...forget)
        .zrem(this.orderKey, ...forget)
        .exec();
    }
    const dropped = new Set(drop);
    return entries.filter((entry) => !dropped.has(entry));
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function parse(text: string): JournalEntry | undefined {
  try {
    const result = JournalEntrySchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
