/**
 * The embedded MQTT broker that `vvcu start` runs when MQTT_URL is not set: Aedes on a thread of
 * its own (brokerWorker.ts), seen from the main thread.
 *
 * - The bridges' source (fanOut.ts): each bridge reads its topics through one shared subscription;
 *   the messages arrive decoded, in the broker's order, and every bridge gets the same message
 *   object. The broker's part ends when the bridges have taken a message; a crash or a shutdown
 *   loses what waits in between, as it loses the in-memory twins and the broker's in-memory sessions.
 * - The proxy's dashboard publisher and the bridges' dead-letter publications, sent to the thread
 *   in batches.
 * - If the thread fails, the broker is gone (its clients reconnect, as to a restarted broker): it
 *   is started again on the same port, and the bridges' subscriptions with it.
 */
import type { Worker } from "node:worker_threads";
import { type Logger, rateLimited } from "../../../functions/lib/log.ts";
import type { DashboardPublisher } from "../../../functions/lib/proxy/publisher.ts";
import { connectableHost } from "../listen.ts";
import { listenError } from "../startupErrors.ts";
import { BridgeFanOut, type InProcessSource } from "./fanOut.ts";
import type { BrokerThreadData, FromBroker, ToBroker } from "./protocol.ts";
import { startWorker, stopWorker } from "./workerStart.ts";

export type { InProcessSource } from "./fanOut.ts";

/** Who the broker lets in, and over what: its credentials and certificate, when set. */
export type BrokerAccess = Pick<BrokerThreadData, "credentials" | "tls">;

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** The bridges' source: subscriptions inside the broker. */
  source: InProcessSource;
  /** The proxy's publisher into the broker. */
  publisher: DashboardPublisher;
  close(): Promise<void>;
}

const ENTRY = new URL("./brokerWorker.ts", import.meta.url).href;
const START_TIMEOUT_MS = 20_000;
const RESTART_DELAY_MS = 1_000;

class BrokerThread implements EmbeddedBroker {
  private worker: Worker | undefined;
  private closing = false;
  private readonly fanOut = new BridgeFanOut(
    (message, transfer) => this.tell(message, transfer),
    () => this.running,
  );
  private readonly logClosedClient = rateLimited(10_000);

  constructor(
    /** 0 asks for any free port; a restart listens on the one the first start got. */
    public port: number,
    private readonly host: string,
    private readonly logger: Logger,
    private readonly access: BrokerAccess,
  ) {}

  get url(): string {
    return `${this.access.tls ? "mqtts" : "mqtt"}://${connectableHost(this.host)}:${this.port}`;
  }

  get running(): boolean {
    return this.worker !== undefined && !this.closing;
  }

  /** Starts the thread; resolves with the port it listens on. */
  async start(): Promise<number> {
    const { worker, ready } = startWorker<number>({
      entry: ENTRY,
      workerData: { port: this.port, host: this.host, ...this.access } satisfies Omit<
        BrokerThreadData,
        "entry"
      >,
      name: "vvcu-broker",
      what: "the embedded broker's thread",
      timeoutMs: START_TIMEOUT_MS,
      outcome: (message) => {
        if (message.kind === "listening") return { ready: message.port };
        if (message.kind === "listen-failed")
          return { failed: listenError(message, "embedded MQTT broker", this.port, "MQTT_PORT") };
        return undefined;
      },
    });
    this.port = await ready;
    this.worker = worker;
    worker.on("message", (message: FromBroker) => this.received(message));
    worker.on("error", (error) => this.failed(worker, error));
    worker.on("exit", (code) => this.failed(worker, new Error(`exited with code ${code}`)));
    const filters = this.fanOut.filters;
    if (filters.length > 0) this.tell({ kind: "subscribe", filters });
    return this.port;
  }

  async close(timeoutMs = 2_000): Promise<void> {
    this.closing = true;
    this.fanOut.close();
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await stopWorker(worker, timeoutMs);
  }

  get source(): InProcessSource {
    return this.fanOut.source;
  }

  get publisher(): DashboardPublisher {
    return this.fanOut.publisher;
  }

  private tell(message: ToBroker, transfer?: ArrayBuffer[]): void {
    if (this.running) this.worker?.postMessage(message, transfer);
  }

  private received(message: FromBroker): void {
    if (message.kind === "messages") this.fanOut.take(message);
    else if (message.kind === "published") this.fanOut.answered(message.ids, message.errors);
    else if (message.kind === "client-closed")
      this.logClosedClient(message.reason, () =>
        this.logger.warn(
          { remote: message.remote || undefined, reason: message.reason },
          "closed an MQTT client",
        ),
      );
  }

  private failed(worker: Worker, error: Error): void {
    if (this.worker !== worker || this.closing) return;
    this.worker = undefined;
    this.logger.error({ err: error }, "the embedded broker's thread failed; starting it again");
    this.fanOut.failPublications(new Error(`the embedded broker failed: ${error.message}`));
    const restart = () => {
      if (this.closing) return;
      this.start().then(
        () => this.logger.warn({ port: this.port }, "the embedded broker is up again"),
        (startError: unknown) => {
          this.logger.error({ err: startError }, "the embedded broker did not start again; trying later");
          setTimeout(restart, RESTART_DELAY_MS * 5).unref();
        },
      );
    };
    setTimeout(restart, RESTART_DELAY_MS).unref();
  }
}

/**
 * Starts the embedded broker on `port` (0: any free port), authenticating and speaking TLS as
 * `access` says. A port in use is a StartupError that names MQTT_PORT.
 */
export async function startEmbeddedBroker(
  port: number,
  host: string,
  logger: Logger,
  access: BrokerAccess = {},
): Promise<EmbeddedBroker> {
  const thread = new BrokerThread(port, host, logger, access);
  await thread.start();
  return thread;
}
