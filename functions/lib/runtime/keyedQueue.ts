/**
 * A work queue that runs items with bounded concurrency while keeping the items of one key
 * (one twin) strictly in order: at most one item per key runs at a time. Keys take turns
 * fairly (a busy twin cannot starve a quiet one).
 */
export interface KeyedQueueOptions<T> {
  /** Items of different keys running at once. */
  concurrency: number;
  worker: (item: T) => Promise<void>;
  /** Called when the worker resolves (in time, when there is a timeout). */
  onDone?: (item: T) => void;
  /** Called when the worker rejects; the queue goes on with the next item. */
  onError: (error: unknown, item: T) => void;
  /** Called whenever the number of items (waiting + running) changes. */
  onSizeChange?: (size: number) => void;
  /**
   * An item still running after this long no longer holds its key: `onTimeout` is told, the key's
   * next item goes on, and the item's own outcome, when it comes, is ignored. Checked by one
   * timer for the whole queue (a few times per timeout), not one per item: this runs for every event.
   */
  timeoutMs?: number;
  onTimeout?: (item: T) => void;
}

/** One key's items; `waiting` while it sits in the ready line, `current` while one item runs. */
interface KeyLine<T> {
  key: string;
  /** The key's next item, then the ones after it (most keys have one at a time: no array). */
  next: T | undefined;
  later: T[] | undefined;
  waiting: boolean;
  running: boolean;
  current: T | undefined;
  startedAtMs: number;
  /** Counts the items run: an outcome of an item that timed out finds a later number here. */
  runs: number;
}

export class KeyedQueue<T> {
  private readonly lines = new Map<string, KeyLine<T>>();
  /** Keys with items and nothing running, in arrival order, from `readyHead` on. */
  /** Keys with items and nothing running, in arrival order: a ring, reused, never reallocated in steady state. */
  private ready: (KeyLine<T> | undefined)[] = new Array(64);
  private readyHead = 0;
  private readyCount = 0;
  /** Lines of keys that went empty, for the next new key: one object fewer per event. */
  private readonly spareLines: KeyLine<T>[] = [];
  private runningCount = 0;
  private count = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly runningLines = new Set<KeyLine<T>>();
  private sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: KeyedQueueOptions<T>) {
    if (!(options.concurrency >= 1))
      throw new Error(`concurrency must be at least 1, got ${options.concurrency}`);
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0))
      throw new Error(`timeoutMs must be positive, got ${options.timeoutMs}`);
  }

  /** Items waiting or running. */
  get size(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    let line = this.lines.get(key);
    if (line === undefined) {
      const spare = this.spareLines.pop();
      if (spare === undefined) {
        line = {
          key,
          next: undefined,
          later: undefined,
          waiting: false,
          running: false,
          current: undefined,
          startedAtMs: 0,
          runs: 0,
        };
      } else {
        spare.key = key;
        line = spare;
      }
      this.lines.set(key, line);
    }
    if (line.next === undefined) line.next = item;
    else if (line.later === undefined) line.later = [item];
    else line.later.push(item);
    if (!line.running && !line.waiting) this.enqueue(line);
    this.resize(1);
    this.pump();
  }

  /** Resolves when nothing waits or runs. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(line: KeyLine<T>): void {
    line.waiting = true;
    if (this.readyCount === this.ready.length) {
      // Full: unroll the ring into one twice as long.
      const grown = new Array<KeyLine<T> | undefined>(this.ready.length * 2);
      for (let i = 0; i < this.readyCount; i++)
        grown[i] = this.ready[(this.readyHead + i) % this.ready.length];
      this.ready = grown;
      this.readyHead = 0;
    }
    this.ready[(this.readyHead + this.readyCount++) % this.ready.length] = line;
  }

  private pump(): void {
    while (this.runningCount < this.options.concurrency && this.readyCount > 0) {
      const line = this.ready[this.readyHead] as KeyLine<T>;
      this.ready[this.readyHead] = undefined;
      this.readyHead = (this.readyHead + 1) % this.ready.length;
      this.readyCount--;
      line.waiting = false;
      const item = line.next as T;
      line.next = line.later?.shift();
      line.running = true;
      this.runningCount++;
      this.runOne(line, item);
    }
  }

  private runOne(line: KeyLine<T>, item: T): void {
    const run = ++line.runs;
    line.current = item;
    if (this.options.timeoutMs !== undefined) this.watch(line);
    let outcome: Promise<void>;
    try {
      outcome = this.options.worker(item);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    // Inline callbacks and methods, no named closure per item (tsx names each one it creates).
    outcome.then(
      () => {
        if (line.runs === run && line.running) this.options.onDone?.(item);
        this.settled(line, run);
      },
      (error: unknown) => {
        if (line.runs === run && line.running) {
          try {
            this.options.onError(error, item);
          } catch {
            // A failing error reporter must not stall the key's later items.
          }
        }
        this.settled(line, run);
      },
    );
  }

  /** The item numbered `run` is done, unless it timed out and its key went on without it. */
  private settled(line: KeyLine<T>, run: number): void {
    if (line.runs === run && line.running) this.finished(line);
  }

  private finished(line: KeyLine<T>): void {
    line.running = false;
    line.current = undefined;
    this.runningLines.delete(line);
    this.runningCount--;
    if (line.next !== undefined) this.enqueue(line);
    else {
      this.lines.delete(line.key);
      // An outcome that comes after a timeout must find a later run number, not a reused line's.
      if (this.spareLines.length < 1_024 && line.runs < Number.MAX_SAFE_INTEGER) this.spareLines.push(line);
    }
    this.resize(-1);
    this.pump();
  }

  private watch(line: KeyLine<T>): void {
    line.startedAtMs = Date.now();
    this.runningLines.add(line);
    if (this.sweepTimer !== undefined) return;
    const timeoutMs = this.options.timeoutMs as number;
    this.sweepTimer = setInterval(() => this.sweep(timeoutMs), Math.max(1, timeoutMs / 4));
    this.sweepTimer.unref?.();
  }

  private sweep(timeoutMs: number): void {
    const dueBefore = Date.now() - timeoutMs;
    for (const line of this.runningLines) {
      if (line.startedAtMs > dueBefore) continue;
      try {
        this.options.onTimeout?.(line.current as T);
      } catch {
        // A failing reporter must not keep the key held.
      }
      this.finished(line);
    }
    if (this.runningLines.size === 0 && this.sweepTimer !== undefined) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
    }
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
