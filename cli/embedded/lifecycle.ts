/**
 * Start-up and shutdown helpers of the embedded stack: the API socket that claims its port
 * first, topology errors worded for `vvcu start`, and a shutdown in reverse order of start that
 * no step can block.
 */
import http from "node:http";
import https from "node:https";
import { componentLogger } from "../../functions/lib/log.ts";
import { type JournalLock, lockJournal } from "../../functions/lib/migration/journal/journalLock.ts";
import { loadTopology, type Topology } from "../../functions/lib/topology.ts";
import { listenOrExplain, StartupError } from "./startupErrors.ts";

/** Runs `steps` in order, each at most `timeoutMs`; a failing or hanging step never blocks the rest. */
export async function closeAll(steps: [string, () => Promise<unknown>][], timeoutMs: number): Promise<void> {
  const logger = componentLogger("stack");
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        step(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not stop within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      logger.warn({ err: error, step: name }, "shutdown step failed");
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * What the stack has started, each with how to stop it, closed in reverse order: on `close()`, or
 * at once when the start-up fails.
 */
export class ShutdownSteps {
  private readonly steps: [string, () => Promise<unknown>][] = [];

  add(name: string, step: () => Promise<unknown>): void {
    this.steps.push([name, step]);
  }

  /** A place in the order, for a step that must run after everything started from here on. */
  mark(): number {
    return this.steps.length;
  }

  insert(at: number, name: string, step: () => Promise<unknown>): void {
    this.steps.splice(at, 0, [name, step]);
  }

  close(): Promise<void> {
    return closeAll([...this.steps].reverse(), 2_000);
  }

  /** Stops what started so far, then throws `error`. */
  readonly fail = async (error: unknown): Promise<never> => {
    await this.close();
    throw error;
  };
}

export function loadTopologyOrExplain(file: string | undefined): Topology {
  try {
    return loadTopology(file);
  } catch (error) {
    const message = (error as Error).message;
    const variable = file === undefined ? "" : "VVCU_TOPOLOGY: ";
    throw new StartupError(
      `${variable}${message.startsWith("invalid topology") ? message : `invalid topology: ${message}`}`,
    );
  }
}

/** The journal's lock (one stack per journal), or a StartupError naming who holds it. */
export async function lockJournalOrExplain(journalFile: string): Promise<JournalLock> {
  try {
    return await lockJournal(journalFile);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

/**
 * The API server (https with a certificate), listening before anything else starts so a busy
 * port fails fast; 503 until ready.
 */
export async function listenApi(
  port: number,
  host: string,
  tls?: { cert: string; key: string },
): Promise<{ server: http.Server; serve(handler: http.RequestListener): void; port: number }> {
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { "content-type": "application/json" }).end('{"error":"starting"}');
  };
  const listener: http.RequestListener = (req, res) => handler(req, res);
  const server =
    tls === undefined
      ? http.createServer(listener)
      : https.createServer({ cert: tls.cert, key: tls.key }, listener);
  server.keepAliveTimeout = 5_000;
  await listenOrExplain(server, port, host, "manager API", "VVCU_API_PORT");
  return {
    server,
    serve: (next) => {
      handler = next;
    },
    port: (server.address() as { port: number }).port,
  };
}
