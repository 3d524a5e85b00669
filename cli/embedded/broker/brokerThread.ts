/**
 * The embedded MQTT broker that `vvcu start` runs when MQTT_URL is not set: Aedes on a thread of
 * its own (brokerWorker.ts), seen from the main thread.
 *
 * - The bridges' source: each bridge reads its topics through one shared subscription; the
 *   messages arrive decoded, in the broker's order, and every bridge gets the same message object
 *   (what one bridge learnt about it the next reuses). The broker's part ends when the bridges have
 *   taken a message; a crash or a shutdown loses what waits in between, as it loses the in-memory
 *   twins and the broker's in-memory sessions.
 * - The proxy's dashboard publisher and the bridges' dead-letter publications, sent to the thread
 *   in batches.
 * - If the thread fails, the broker is gone (its clients reconnect, as to a restarted broker): it
 *   is started again on the same port, and the bridges' subscriptions with it.
 */
import { Worker } from "node:worker_threads";
import type { InboundMessage } from "../../../bridges/mqtt/classify.ts";
import type { MessageSource, SourceFactory } from "../../../bridges/mqtt/source.ts";
import { type Logger, rateLimited } from "../../../functions/lib/log.ts";
import type { DashboardPublisher } from "../../../functions/lib/proxy/publisher.ts";
import { topicMatches } from "../../../functions/lib/topics.ts";
import { MAX_AHEAD } from "../decoder/decodeQueue.ts";
import { HandOnQueue } from "../handOnQueue.ts";
import { connectableHost } from "../listen.ts";
import { listenError } from "../startupErrors.ts";
import { PublicationOutbox } from "./outbox.ts";
import type { BrokerThreadData, FromBroker, MessageBatch, Publication, ToBroker } from "./protocol.ts";

/** Who the broker lets in, and over what: its credentials and certificate, when set. */
export type BrokerAccess = Pick<BrokerThreadData, "credentials" | "tls">;

export interface InProcessSource {
  /** Starts the source of one bridge. */
  start: SourceFactory;
  /** True for the first bridge that rejects a message: the one that reports it. */
  claimRejection(message: InboundMessage): boolean;
}

export interface EmbeddedBroker {
  url: string;
  port: number;
  /** The bridges' source: subscriptions inside the broker. */
  source: InProcessSource;
  /** The proxy's publisher into the broker. */
  publisher: DashboardPublisher;
  close(): Promise<void>;
}

type Handle = (message: InboundMessage) => Promise<void> | undefined;

interface Reader {
  filters: string[];
  handle: Handle;
}

interface Pending {
  message: InboundMessage;
  /** The bridges this message goes to, in the order they started. */
  handlers: Handle[];
}

const BOOTSTRAP = new URL("../workerBootstrap.mjs", import.meta.url);
const ENTRY = new URL("./brokerWorker.ts", import.meta.url).href;
const START_TIMEOUT_MS = 20_000;
const RESTART_DELAY_MS = 1_000;

/** Hands a message to each bridge in turn; waits for a bridge that says it is full. */
function handToBridges(handlers: Handle[], message: InboundMessage, from: number): Promise<void> | undefined {
  for (let index = from; index < handlers.length; index++) {
    const full = (handlers[index] as Handle)(message);
    if (full !== undefined) return full.then(() => handToBridges(handlers, message, index + 1));
  }
  return undefined;
}

class BrokerThread implements EmbeddedBroker {
  private worker: Worker | undefined;
  private closing = false;
  private readonly readers: Reader[] = [];
  private readonly handlersByTopic = new Map<string, Handle[]>();
  private readonly queue: HandOnQueue<Pending>;
  private readonly outbox = new PublicationOutbox((publications) =>
    this.tell({ kind: "publish", publications }),
  );
  private readonly rejected = new WeakSet<InboundMessage>();
  private readonly logClosedClient = rateLimited(10_000);

  constructor(
    /** 0 asks for any free port; a restart listens on the one the first start got. */
    public port: number,
    private readonly host: string,
    private readonly logger: Logger,
    private readonly access: BrokerAccess,
  ) {
    this.queue = new HandOnQueue<Pending>({
      handOn: ({ handlers, message }) => handToBridges(handlers, message, 0),
      onHanded: (count) => this.tell({ kind: "taken", count }),
      maxWaiting: MAX_AHEAD,
    });
  }

  get url(): string {
    return `${this.access.tls ? "mqtts" : "mqtt"}://${connectableHost(this.host)}:${this.port}`;
  }

  get running(): boolean {
    return this.worker !== undefined && !this.closing;
  }

  /** Starts the thread; resolves with the port it listens on. */
  async start(): Promise<number> {
    const worker = new Worker(BOOTSTRAP, {
      workerData: {
        entry: ENTRY,
        port: this.port,
        host: this.host,
        ...this.access,
      } satisfies BrokerThreadData,
      name: "vvcu-broker",
    });
    let onMessage: (message: FromBroker) => void = () => {};
    let onError: (error: Error) => void = () => {};
    let onExit: (code: number) => void = () => {};
    try {
      this.port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          void worker.terminate();
          reject(new Error(`the embedded broker's thread did not start within ${START_TIMEOUT_MS} ms`));
        }, START_TIMEOUT_MS);
        const settle = (outcome: () => void) => {
          clearTimeout(timer);
          outcome();
        };
        onError = (error) => settle(() => reject(error));
        onExit = (code) =>
          settle(() => reject(new Error(`the embedded broker's thread exited with code ${code}`)));
        onMessage = (message) => {
          if (message.kind === "listening") settle(() => resolve(message.port));
          else if (message.kind === "listen-failed")
            settle(() => reject(listenError(message, "embedded MQTT broker", this.port, "MQTT_PORT")));
        };
        worker.on("message", onMessage).once("error", onError).once("exit", onExit);
      });
    } finally {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
    }
    this.worker = worker;
    worker.on("message", (message: FromBroker) => this.received(message));
    worker.on("error", (error) => this.failed(worker, error));
    worker.on("exit", (code) => this.failed(worker, new Error(`exited with code ${code}`)));
    const filters = this.readers.flatMap((reader) => reader.filters);
    if (filters.length > 0) this.tell({ kind: "subscribe", filters });
    return this.port;
  }

  async close(timeoutMs = 2_000): Promise<void> {
    this.closing = true;
    this.queue.close();
    const worker = this.worker;
    this.worker = undefined;
    this.outbox.failAll(new Error("the embedded broker is closed"));
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ kind: "close" } satisfies ToBroker);
    const timer = setTimeout(() => void worker.terminate(), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  readonly source: InProcessSource = {
    start: ({ topics, logger, onMessage }): MessageSource => {
      let open = true;
      const handle: Handle = (message) => {
        if (!open) return undefined;
        try {
          const full = onMessage(message, () => {}, false);
          return full?.catch((error: unknown) => {
            logger.error({ err: error, topic: message.topic }, "message handler failed");
          });
        } catch (error) {
          logger.error({ err: error, topic: message.topic }, "message handler failed");
          return undefined;
        }
      };
      const reader: Reader = { filters: [...topics], handle };
      this.readers.push(reader);
      this.handlersByTopic.clear();
      this.tell({ kind: "subscribe", filters: reader.filters });
      return {
        isConnected: () => open && this.running,
        publish: (topic, payload, timeoutMs = 10_000) =>
          this.publish({ topic, payload, qos: 1, retain: false }, timeoutMs),
        close: async () => {
          open = false;
          const index = this.readers.indexOf(reader);
          if (index >= 0) this.readers.splice(index, 1);
          this.handlersByTopic.clear();
          this.tell({ kind: "unsubscribe", filters: reader.filters });
        },
      };
    },
    claimRejection: (message) => {
      if (this.rejected.has(message)) return false;
      this.rejected.add(message);
      return true;
    },
  };

  readonly publisher: DashboardPublisher = {
    publish: (topic, payload, { retain }) =>
      this.publish({ topic, payload: payload === null ? "" : JSON.stringify(payload), qos: 0, retain }),
  };

  /** Resolves when the broker has taken the publication. */
  private publish(publication: Omit<Publication, "id">, timeoutMs = 10_000): Promise<void> {
    if (!this.running) return Promise.reject(new Error("the embedded broker is not running"));
    return this.outbox.add(publication, timeoutMs);
  }

  private tell(message: ToBroker): void {
    if (this.running) this.worker?.postMessage(message);
  }

  private received(message: FromBroker): void {
    if (message.kind === "messages") this.take(message);
    else if (message.kind === "published") this.outbox.answered(message.ids, message.errors);
    else if (message.kind === "client-closed")
      this.logClosedClient(message.reason, () =>
        this.logger.warn(
          { remote: message.remote || undefined, reason: message.reason },
          "closed an MQTT client",
        ),
      );
  }

  private take(batch: MessageBatch): void {
    let start = 0;
    let unread = 0;
    const arrived: Pending[] = [];
    for (let index = 0; index < batch.topics.length; index++) {
      const topic = batch.topics[index] as string;
      const end = batch.ends[index] as number;
      const message: InboundMessage = {
        topic,
        payload: Buffer.from(batch.buffer, start, end - start),
        receivedAtMs: batch.receivedAtMs[index] as number,
      };
      start = end;
      const answer = batch.answers[index];
      if (answer?.decoded !== undefined) message.decoded = answer.decoded;
      if (answer?.eventId !== undefined) message.eventId = answer.eventId;
      const handlers = this.handlersFor(topic);
      if (handlers.length === 0) unread++;
      else arrived.push({ message, handlers });
    }
    this.queue.pushAll(arrived);
    // A bridge that closed meanwhile: nobody takes these, so they are room again.
    if (unread > 0) this.tell({ kind: "taken", count: unread });
  }

  private handlersFor(topic: string): Handle[] {
    let handlers = this.handlersByTopic.get(topic);
    if (handlers === undefined) {
      handlers = this.readers
        .filter((reader) => reader.filters.some((filter) => topicMatches(filter, topic)))
        .map((reader) => reader.handle);
      // There are few topic names; the bound is for clients that invent many.
      if (this.handlersByTopic.size >= 1_024) this.handlersByTopic.clear();
      this.handlersByTopic.set(topic, handlers);
    }
    return handlers;
  }

  private failed(worker: Worker, error: Error): void {
    if (this.worker !== worker || this.closing) return;
    this.worker = undefined;
    this.logger.error({ err: error }, "the embedded broker's thread failed; starting it again");
    this.outbox.failAll(new Error(`the embedded broker failed: ${error.message}`));
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
