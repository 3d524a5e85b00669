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

/** One key's items; `waiting` while it sits in the ready line, `running` while one item runs. */
interface KeyLine<T> {
  key: string;
  items: T[];
  waiting: boolean;
  running: boolean;
}

export class KeyedQueue<T> {
  private readonly lines = new Map<string, KeyLine<T>>();
  /** Keys with items and nothing running, in arrival order, from `readyHead` on. */
  private ready: KeyLine<T>[] = [];
  private readyHead = 0;
  private runningCount = 0;
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
    let line = this.lines.get(key);
    if (line === undefined) {
      line = { key, items: [], waiting: false, running: false };
      this.lines.set(key, line);
    }
    line.items.push(item);
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
    this.ready.push(line);
  }

  private pump(): void {
    while (this.runningCount < this.options.concurrency && this.readyHead < this.ready.length) {
      const line = this.ready[this.readyHead++] as KeyLine<T>;
      if (this.readyHead === this.ready.length) {
        // Drained: start the array over rather than let it grow with every key ever ready.
        this.ready = [];
        this.readyHead = 0;
      } else if (this.readyHead >= 1_024 && this.readyHead * 2 >= this.ready.length) {
        this.ready = this.ready.slice(this.readyHead);
        this.readyHead = 0;
      }
      line.waiting = false;
      const item = line.items.shift() as T;
      line.running = true;
      this.runningCount++;
      this.runOne(line, item);
    }
  }

  private runOne(line: KeyLine<T>, item: T): void {
    let outcome: Promise<void>;
    try {
      outcome = this.options.worker(item);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    // Inline callbacks and methods, no named closure per item (tsx names each one it creates).
    outcome.then(
      () => this.finished(line),
      (error: unknown) => {
        try {
          this.options.onError(error, item);
        } catch {
          // A failing error reporter must not stall the key's later items.
        }
        this.finished(line);
      },
    );
  }

  private finished(line: KeyLine<T>): void {
    line.running = false;
    this.runningCount--;
    if (line.items.length > 0) this.enqueue(line);
    else this.lines.delete(line.key);
    this.resize(-1);
    this.pump();
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
