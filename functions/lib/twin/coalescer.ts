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
import { type LoopTurn, loopTurn } from "../runtime/loopTurn.ts";

const MAX_SENDS_PER_TURN = 64;
/**
 * A turn's sends also stop once they have taken this long: on a stack just started a send costs
 * a millisecond or more (cold code, each new twin's first geofence decision and dashboard state),
 * and 64 of them held the API up for 100 ms.
 */
export const TURN_BUDGET_MS = 8;
/** A key whose trailing send is due, waiting for its turn. */
const DUE = "due";

export interface CoalescerOptions {
  minIntervalMs: number;
  /** Sends the current state of a key; called at most once per key and interval. */
  send: (key: string) => void;
  now?: () => number;
  /** Milliseconds for the turn's budget; default `performance.now`. */
  turnClock?: () => number;
  /** The thread's turn budget: once spent, a turn sends only its first; default `loopTurn`. */
  loopTurn?: Pick<LoopTurn, "spent">;
}

export class Coalescer {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout> | typeof DUE>();
  private due: string[] = [];
  /**
   * Keys never sent yet waiting for their turn (a new twin's first state), sent before the trailing
   * sends that wait: a station appearing waits for no other station's next update, and a trailing
   * send held back a turn still carries the last state.
   */
  private dueFirst: string[] = [];
  private sendsThisTurn = 0;
  /** Time the turn's sends have taken so far (turnClock). */
  private turnSendMs = 0;
  private turnScheduled = false;
  private readonly now: () => number;
  private readonly turnClock: () => number;
  private readonly loopTurn: Pick<LoopTurn, "spent">;

  constructor(private readonly options: CoalescerOptions) {
    this.now = options.now ?? Date.now;
    this.turnClock = options.turnClock ?? (() => performance.now());
    this.loopTurn = options.loopTurn ?? loopTurn;
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
    this.dueFirst = [];
  }

  /** Drops all pending sends. */
  stop(): void {
    for (const timer of this.pending.values()) if (timer !== DUE) clearTimeout(timer);
    this.pending.clear();
    this.due = [];
    this.dueFirst = [];
  }

  private trailing(key: string): void {
    this.pending.delete(key);
    this.sendInTurn(key);
  }

  /**
   * Whether this turn may send another: fewer than MAX_SENDS_PER_TURN, within TURN_BUDGET_MS, and
   * the first or within the thread's turn budget.
   */
  private mayBeSentInTurn(): boolean {
    return (
      this.sendsThisTurn < MAX_SENDS_PER_TURN &&
      this.turnSendMs < TURN_BUDGET_MS &&
      (this.sendsThisTurn === 0 || !this.loopTurn.spent())
    );
  }

  /** Sends now if this turn may send another, else on one of the next turns. */
  private sendInTurn(key: string): void {
    this.scheduleTurn();
    const first = !this.lastSent.has(key);
    const waiting = first ? this.dueFirst.length : this.dueFirst.length + this.due.length;
    if (waiting === 0 && this.mayBeSentInTurn()) {
      this.sendsThisTurn++;
      this.sendNow(key, this.now());
      return;
    }
    this.pending.set(key, DUE);
    (first ? this.dueFirst : this.due).push(key);
  }

  /** Sends keys of `keys` from its head while the turn may; returns the ones left. */
  private sendDue(keys: string[]): string[] {
    let taken = 0;
    while (taken < keys.length && this.mayBeSentInTurn()) {
      const key = keys[taken++] as string;
      if (this.pending.get(key) !== DUE) continue; // cancelled or flushed meanwhile
      this.pending.delete(key);
      this.sendsThisTurn++;
      this.sendNow(key, this.now());
    }
    return taken === 0 ? keys : keys.slice(taken);
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.sendsThisTurn = 0;
      this.turnSendMs = 0;
      this.dueFirst = this.sendDue(this.dueFirst);
      this.due = this.sendDue(this.due);
      if (this.dueFirst.length + this.due.length > 0 || this.sendsThisTurn > 0) this.scheduleTurn();
    });
  }

  private sendNow(key: string, now: number): void {
    this.lastSent.set(key, now);
    const startedAt = this.turnClock();
    this.options.send(key);
    this.turnSendMs += this.turnClock() - startedAt;
  }
}
