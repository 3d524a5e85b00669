/**
 * The time the thread has been working since the event loop last reached its check phase: one
 * budget shared by every piece of work that can wait for the next turn (handing on messages,
 * store batches, coalesced sends). Each of those keeps a budget of its own, but the API answers
 * only between turns, and a turn holds all of them one after the other plus what their promises
 * run afterwards: on a stack just started, 1,000 new stations made turns of 100 ms and more
 * although each part kept within its own 8 to 10 ms.
 *
 * The time is wall time from the first question in a turn, so it covers promise continuations and
 * garbage collection that no part measures for itself. Work that finds the turn spent still does
 * its first unit (a message, a batch, a send) and leaves the rest to the next turn, so no part
 * waits behind the others for ever.
 */

/** Work a turn takes before everything that can wait goes to the next turn. */
export const LOOP_TURN_BUDGET_MS = 16;

export interface LoopTurnOptions {
  budgetMs?: number;
  clock?: () => number;
  /** Runs a callback at the event loop's next check phase; default `setImmediate`. */
  atNextTurn?: (callback: () => void) => void;
}

export class LoopTurn {
  private readonly budgetMs: number;
  private readonly clock: () => number;
  private readonly atNextTurn: (callback: () => void) => void;
  private startedAt: number | undefined;
  private endQueued = false;
  private readonly end = (): void => {
    this.endQueued = false;
    this.startedAt = undefined;
  };

  constructor(options: LoopTurnOptions = {}) {
    this.budgetMs = options.budgetMs ?? LOOP_TURN_BUDGET_MS;
    this.clock = options.clock ?? (() => performance.now());
    this.atNextTurn = options.atNextTurn ?? ((callback) => setImmediate(callback));
  }

  /** Milliseconds since the first question in this turn (0 for the first). */
  elapsedMs(): number {
    const now = this.clock();
    if (this.startedAt === undefined) this.startedAt = now;
    if (!this.endQueued) {
      // Queued before any work that this turn defers, so it runs first in the next check phase.
      this.endQueued = true;
      this.atNextTurn(this.end);
    }
    return now - this.startedAt;
  }

  /** Whether this turn has used its budget: work that can wait should go to the next turn. */
  spent(): boolean {
    return this.elapsedMs() >= this.budgetMs;
  }
}

/** The thread's one turn budget. */
export const loopTurn = new LoopTurn();
