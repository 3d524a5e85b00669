/**
 * Per-key rate limiting with a trailing edge: the first change of a quiet key is sent at once,
 * changes within the interval after it are folded into one send at the end of the interval, so
 * at most one send per key and interval and the last state is always sent.
 */
export interface CoalescerOptions {
  minIntervalMs: number;
  /** Sends the current state of a key; called at most once per key and interval. */
  send: (key: string) => void;
  now?: () => number;
}

export class Coalescer {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly now: () => number;

  constructor(private readonly options: CoalescerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Something changed for this key. */
  touch(key: string): void {
    if (this.pending.has(key)) return; // the trailing send will carry this change
    const now = this.now();
    const last = this.lastSent.get(key);
    if (last === undefined || now - last >= this.options.minIntervalMs) {
      this.sendNow(key, now);
      return;
    }
    const timer = setTimeout(
      () => {
        this.pending.delete(key);
        this.sendNow(key, this.now());
      },
      last + this.options.minIntervalMs - now,
    );
    timer.unref?.();
    this.pending.set(key, timer);
  }

  /** Records a send made elsewhere (e.g. a `created` event), so the interval starts from it. */
  sent(key: string): void {
    this.lastSent.set(key, this.now());
  }

  /** Forgets a key, dropping its trailing send. */
  cancel(key: string): void {
    const timer = this.pending.get(key);
    if (timer) clearTimeout(timer);
    this.pending.delete(key);
    this.lastSent.delete(key);
  }

  /** Sends every pending trailing state now (shutdown, tests). */
  flush(): void {
    for (const [key, timer] of [...this.pending]) {
      clearTimeout(timer);
      this.pending.delete(key);
      this.sendNow(key, this.now());
    }
  }

  /** Drops all pending sends. */
  stop(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private sendNow(key: string, now: number): void {
    this.lastSent.set(key, now);
    this.options.send(key);
  }
}
