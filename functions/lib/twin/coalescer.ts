/**
 * Per-key rate limiting with a trailing edge: the first change of a quiet key is sent at once,
 * changes within the interval after it are folded into one send at the end of the interval, so
 * at most one send per key and interval and the last state is always sent.
 *
 * Sends go out at most MAX_SENDS_PER_TURN per turn of the event loop, the rest on the next turns:
 * hundreds at once held everything else on the thread up for 100 ms. That happens to trailing
 * sends that fall due together (keys touched in one burst), and to first changes of many quiet
 * keys at once (the sweep marking hundreds of twins stale in one go).
 */
const MAX_SENDS_PER_TURN = 64;
/** A key whose trailing send is due, waiting for its turn. */
const DUE = "due";

export interface CoalescerOptions {
  minIntervalMs: number;
  /** Sends the current state of a key; called at most once per key and interval. */
  send: (key: string) => void;
  now?: () => number;
}

export class Coalescer {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout> | typeof DUE>();
  private due: string[] = [];
  private sendsThisTurn = 0;
  private turnScheduled = false;
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
      this.sendInTurn(key);
      return;
    }
    const timer = setTimeout(() => this.trailing(key), last + this.options.minIntervalMs - now);
    timer.unref?.();
    this.pending.set(key, timer);
  }

  /** Forgets a key, dropping its trailing send. */
  cancel(key: string): void {
    const timer = this.pending.get(key);
    if (timer !== undefined && timer !== DUE) clearTimeout(timer);
    this.pending.delete(key);
    this.lastSent.delete(key);
  }

  /** Sends every pending trailing state now (shutdown, tests). */
  flush(): void {
    for (const [key, timer] of [...this.pending]) {
      if (timer !== DUE) clearTimeout(timer);
      this.pending.delete(key);
      this.sendNow(key, this.now());
    }
    this.due = [];
  }

  /** Drops all pending sends. */
  stop(): void {
    for (const timer of this.pending.values()) if (timer !== DUE) clearTimeout(timer);
    this.pending.clear();
    this.due = [];
  }

  private trailing(key: string): void {
    this.pending.delete(key);
    this.sendInTurn(key);
  }

  /** Sends now if this turn has sent fewer than MAX_SENDS_PER_TURN, else on one of the next turns. */
  private sendInTurn(key: string): void {
    this.scheduleTurn();
    if (this.sendsThisTurn < MAX_SENDS_PER_TURN) {
      this.sendsThisTurn++;
      this.sendNow(key, this.now());
      return;
    }
    this.pending.set(key, DUE);
    this.due.push(key);
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.sendsThisTurn = 0;
      let taken = 0;
      while (taken < this.due.length && this.sendsThisTurn < MAX_SENDS_PER_TURN) {
        const key = this.due[taken++] as string;
        if (this.pending.get(key) !== DUE) continue; // cancelled or flushed meanwhile
        this.pending.delete(key);
        this.sendsThisTurn++;
        this.sendNow(key, this.now());
      }
      this.due = this.due.slice(taken);
      if (this.due.length > 0 || this.sendsThisTurn > 0) this.scheduleTurn();
    });
  }

  private sendNow(key: string, now: number): void {
    this.lastSent.set(key, now);
    this.options.send(key);
  }
}
