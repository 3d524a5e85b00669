/**
 * The publications the main thread sends to the broker's thread: collected within a turn of the
 * event loop and sent as one batch, each waiting for the broker's answer until its deadline.
 * Deadlines are checked by one interval timer for all of them, not a timer each: the proxy
 * publishes thousands a second.
 */
import type { Publication } from "./protocol.ts";

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
  topic: string;
  timeoutMs: number;
  dueAtMs: number;
}

/** How often publications past their deadline are failed. */
export const DEADLINE_CHECK_MS = 250;

export class PublicationOutbox {
  private batch: Publication[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private deadlineTimer: ReturnType<typeof setInterval> | undefined;

  /** `send` gets each turn's publications as one batch. */
  constructor(private readonly send: (publications: Publication[]) => void) {}

  /** Number of publications the broker has not answered yet. */
  get unanswered(): number {
    return this.waiting.size;
  }

  /** Resolves when the broker has taken the publication; rejects past `timeoutMs`. */
  add(publication: Omit<Publication, "id">, timeoutMs: number): Promise<void> {
    const id = this.nextId++;
    this.batch.push({ id, ...publication });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    if (this.deadlineTimer === undefined) {
      this.deadlineTimer = setInterval(() => this.rejectOverdue(), DEADLINE_CHECK_MS);
      this.deadlineTimer.unref();
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, {
        resolve,
        reject,
        topic: publication.topic,
        timeoutMs,
        dueAtMs: Date.now() + timeoutMs,
      });
    });
  }

  /** The broker's answers: for each id, an error message or undefined when it was published. */
  answered(ids: readonly number[], errors: readonly (string | undefined)[]): void {
    ids.forEach((id, index) => {
      const waiter = this.waiting.get(id);
      if (waiter === undefined) return;
      this.waiting.delete(id);
      const error = errors[index];
      if (error === undefined) waiter.resolve();
      else waiter.reject(new Error(error));
    });
  }

  /** Fails every publication not answered yet and drops those not sent yet. */
  failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.batch = [];
    this.stopDeadlineTimer();
  }

  private flush(): void {
    this.flushScheduled = false;
    const publications = this.batch;
    this.batch = [];
    if (publications.length > 0) this.send(publications);
  }

  private rejectOverdue(): void {
    const now = Date.now();
    for (const [id, waiter] of this.waiting) {
      if (waiter.dueAtMs > now) continue;
      this.waiting.delete(id);
      waiter.reject(
        new Error(`publish to ${waiter.topic} not taken by the broker in ${waiter.timeoutMs} ms`),
      );
    }
    if (this.waiting.size === 0) this.stopDeadlineTimer();
  }

  private stopDeadlineTimer(): void {
    if (this.deadlineTimer !== undefined) clearInterval(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }
}
