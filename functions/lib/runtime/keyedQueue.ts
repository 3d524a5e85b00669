/**
 * A work queue that runs items with bounded concurrency while keeping the items of one key
 * (one twin) strictly in order: at most one item per key runs at a time. Keys take turns
 * fairly (a busy twin cannot starve a quiet one).
 */
export interface KeyedQueueOptions<T> {
  /** Items of different keys running at once. */
  concurrency: number;
  worker: (item: T) => Promise<void>;
  /** Called when the worker rejects; the queue goes on with the next item. */
  onError: (error: unknown, item: T) => void;
  /** Called whenever the number of items (waiting + running) changes. */
  onSizeChange?: (size: number) => void;
}

export class KeyedQueue<T> {
  private readonly pending = new Map<string, T[]>();
  /** Keys with pending items and nothing running, in arrival order. */
  private readonly ready = new Set<string>();
  private readonly running = new Set<string>();
  private count = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: KeyedQueueOptions<T>) {
    if (!(options.concurrency >= 1))
      throw new Error(`concurrency must be at least 1, got ${options.concurrency}`);
  }

  /** Items waiting or running. */
  get size(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    const items = this.pending.get(key);
    if (items) items.push(item);
    else this.pending.set(key, [item]);
    if (!this.running.has(key)) this.ready.add(key);
    this.resize(1);
    this.pump();
  }

  /** Resolves when nothing waits or runs. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency && this.ready.size > 0) {
      const key = this.ready.values().next().value as string;
      this.ready.delete(key);
      const items = this.pending.get(key);
      const item = items?.shift();
      if (items === undefined || item === undefined) continue;
      if (items.length === 0) this.pending.delete(key);
      this.running.add(key);
      this.runOne(key, item);
    }
  }

  private runOne(key: string, item: T): void {
    let outcome: Promise<void>;
    try {
      outcome = this.options.worker(item);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome
      .catch((error: unknown) => {
        try {
          this.options.onError(error, item);
        } catch {
          // A failing error reporter must not stall the key's later items.
        }
      })
      .finally(() => {
        this.running.delete(key);
        if (this.pending.has(key)) this.ready.add(key);
        this.resize(-1);
        this.pump();
      });
  }

  private resize(delta: number): void {
    this.count += delta;
    this.options.onSizeChange?.(this.count);
    if (this.count === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
