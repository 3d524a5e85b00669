/**
 * The HTTP side of `GET /api/v1/events`: while at least one client is connected, the API's state
 * is read every `intervalMs` (so a twin is reported at most that often, whatever its message
 * rate), and each client gets what changed. A client that does not keep up is not written to
 * until its socket drains; meanwhile its PendingEvents keep only the latest state per twin.
 * Reading only while someone listens keeps the stack's cost at zero without a console.
 */
import type { ServerResponse } from "node:http";
import type { Logger } from "../log.ts";
import { FeedDiff, type FeedState, nextReadDelayMs, PendingEvents } from "./liveFeed.ts";

export interface EventStreamOptions {
  read: () => Promise<FeedState>;
  intervalMs?: number;
  /** Most of the thread's time the readings may take (they are spaced out beyond intervalMs if needed). */
  maxReadShare?: number;
  heartbeatMs?: number;
  /** Text written to a socket in one go; the next waits for `drain` when the socket is full. */
  chunkChars?: number;
  /** Migrations a newly connected client gets first. */
  recentMigrations?: number;
  maxClients?: number;
  logger: Logger;
}

interface Client {
  res: ServerResponse;
  pending: PendingEvents;
  /** Waits for the full state before any change. */
  fresh: boolean;
  /** The socket's buffer is full: nothing is written until `drain`. */
  blocked: boolean;
  lastWriteMs: number;
}

export class EventStream {
  private readonly clients = new Set<Client>();
  private readonly diff = new FeedDiff();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly heartbeatMs: number;
  private readonly chunkChars: number;
  private readonly recentMigrations: number;

  constructor(private readonly options: EventStreamOptions) {
    this.intervalMs = options.intervalMs ?? 500;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.chunkChars = options.chunkChars ?? 64 * 1024;
    this.recentMigrations = options.recentMigrations ?? 50;
  }

  /** Per client: entries waiting and whether its connection is full. */
  clientStats(): { pending: number; blocked: boolean }[] {
    return [...this.clients].map((client) => ({ pending: client.pending.size, blocked: client.blocked }));
  }

  /** Whether another client may connect. */
  hasRoom(): boolean {
    return this.clients.size < (this.options.maxClients ?? 32);
  }

  /** Takes over the response: SSE headers now, events from the next reading on. */
  attach(res: ServerResponse): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      // Proxies (nginx, Knative's queue-proxy) must pass events on as they come.
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 3000\n\n");
    const client: Client = {
      res,
      pending: new PendingEvents(),
      fresh: true,
      blocked: false,
      lastWriteMs: Date.now(),
    };
    this.clients.add(client);
    res.on("close", () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopTimer();
    });
    res.on("drain", () => {
      client.blocked = false;
      this.flush(client);
    });
    if (this.timer === undefined) this.schedule(0);
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.stopTimer();
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One reading at a time; the next is scheduled when one ends, while clients are connected. */
  private schedule(delayMs: number): void {
    const timer = setTimeout(() => {
      void this.tick().then((readMs) => {
        // Stopped (the last client went, maybe another came and started anew) while reading.
        if (this.timer !== timer) return;
        if (this.clients.size === 0) this.timer = undefined;
        else this.schedule(nextReadDelayMs(this.intervalMs, readMs, this.options.maxReadShare ?? 0.05));
      });
    }, delayMs);
    timer.unref();
    this.timer = timer;
  }

  /** Reads, hands the changes to every client; answers how long the reading took. */
  private async tick(): Promise<number> {
    const startedMs = performance.now();
    let readMs = 0;
    try {
      const state = await this.options.read();
      readMs = performance.now() - startedMs;
      const changes = this.diff.next(state);
      const full = this.diff.current(this.recentMigrations);
      const nowMs = Date.now();
      for (const client of this.clients) {
        if (client.fresh && full !== undefined) {
          client.pending.add(full);
          client.fresh = false;
        } else {
          client.pending.add(changes);
        }
        if (client.pending.size === 0 && !client.blocked && nowMs - client.lastWriteMs >= this.heartbeatMs) {
          this.write(client, ": keep-alive\n\n");
        }
        this.flush(client);
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, "event stream: reading the state failed");
    }
    return readMs;
  }

  private flush(client: Client): void {
    while (!client.blocked && client.pending.size > 0 && !client.res.destroyed) {
      this.write(client, client.pending.take(this.chunkChars));
    }
  }

  private write(client: Client, text: string): void {
    client.lastWriteMs = Date.now();
    if (!client.res.write(text)) client.blocked = true;
  }
}
