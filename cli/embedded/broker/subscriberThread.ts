/**
 * The stack's one subscription to an external broker (MQTT_URL), on a thread of its own
 * (subscriberWorker.ts), seen from the main thread: the same source for the bridges as the embedded
 * broker's (fanOut.ts), so every MEC's bridge reads one shared, decoded copy of each message
 * instead of a session of its own. A cluster's bridge, a process of its own per MEC, keeps its own
 * session (bridges/mqtt/).
 *
 * If the thread fails it is started again on the same session: the broker redelivers what was not
 * acknowledged.
 */
import type { Worker } from "node:worker_threads";
import type { Logger } from "../../../functions/lib/log.ts";
import type { DashboardPublisher } from "../../../functions/lib/proxy/publisher.ts";
import type { MqttConnection } from "../../../functions/lib/runtime/mqttConnect.ts";
import { BridgeFanOut, type InProcessSource } from "./fanOut.ts";
import { type FromBroker, MAX_AHEAD, type SubscriberThreadData, type ToBroker } from "./protocol.ts";
import { startWorker, stopWorker } from "./workerStart.ts";

const ENTRY = new URL("./subscriberWorker.ts", import.meta.url).href;
const RESTART_DELAY_MS = 1_000;
/** Tickets a thread may hand out before a restarted one's begin: far more than one run takes. */
const TICKETS_PER_THREAD = 2 ** 40;
/**
 * Unacknowledged messages the broker may send ahead: what waits for the bridges (MAX_AHEAD) and
 * what the bridges hold (a few thousand), so that flow control holds the broker back only when the
 * stack is behind.
 */
const RECEIVE_MAXIMUM = MAX_AHEAD + 4_000;

export interface SubscriberOptions {
  connection: MqttConnection & { protocolVersion?: 4 | 5 };
  clientId: string;
  topics: readonly string[];
  connectTimeoutMs: number;
  logger: Logger;
}

export interface ExternalSubscription {
  /** The bridges' source: one shared subscription on the thread. */
  source: InProcessSource;
  /** Publications to the external broker over the same session (QoS 0 or 1, retained or not). */
  publisher: DashboardPublisher;
  close(): Promise<void>;
}

class SubscriberThread implements ExternalSubscription {
  private worker: Worker | undefined;
  private closing = false;
  private connected = false;
  private starts = 0;
  private readonly fanOut = new BridgeFanOut(
    (message, transfer) => this.tell(message, transfer),
    () => this.worker !== undefined && !this.closing && this.connected,
  );

  constructor(private readonly options: SubscriberOptions) {}

  get source(): InProcessSource {
    return this.fanOut.source;
  }

  get publisher(): DashboardPublisher {
    return this.fanOut.publisher;
  }

  async start(): Promise<void> {
    const { connection, clientId, topics, connectTimeoutMs } = this.options;
    const data: Omit<SubscriberThreadData, "entry"> = {
      url: connection.url,
      clientId,
      ...(connection.username === undefined ? {} : { username: connection.username }),
      ...(connection.password === undefined ? {} : { password: connection.password }),
      ...(connection.ca === undefined ? {} : { ca: connection.ca }),
      protocolVersion: connection.protocolVersion ?? 5,
      topics: [...topics],
      receiveMaximum: RECEIVE_MAXIMUM,
      connectTimeoutMs,
      publishTimeoutMs: 10_000,
      firstTicket: this.starts++ * TICKETS_PER_THREAD,
    };
    const { worker, ready } = startWorker<true>({
      entry: ENTRY,
      workerData: data,
      name: "vvcu-mqtt-subscriber",
      what: `the MQTT subscriber to ${connection.url}`,
      timeoutMs: connectTimeoutMs + 20_000,
      outcome: (message) =>
        message.kind === "connection" && message.connected ? { ready: true } : undefined,
    });
    // Listening from the start: a restarted session's redeliveries may come right behind its
    // "connected", and what the bridges say about them goes to this worker.
    this.worker = worker;
    worker.on("message", (message: FromBroker) => this.received(message));
    try {
      await ready;
    } catch (error) {
      this.worker = undefined;
      throw error;
    }
    worker.on("error", (error) => this.failed(worker, error));
    worker.on("exit", (code) => this.failed(worker, new Error(`exited with code ${code}`)));
  }

  async close(timeoutMs = 2_000): Promise<void> {
    this.closing = true;
    // The bridges' last acknowledgements (sent once per turn of the event loop) go out first.
    await new Promise((resolve) => setImmediate(resolve));
    const worker = this.worker;
    this.fanOut.close();
    this.worker = undefined;
    if (worker !== undefined) await stopWorker(worker, timeoutMs);
  }

  private tell(message: ToBroker, transfer?: ArrayBuffer[]): void {
    if (!this.closing || message.kind === "done") this.worker?.postMessage(message, transfer);
  }

  private received(message: FromBroker): void {
    if (message.kind === "messages") this.fanOut.take(message);
    else if (message.kind === "published") this.fanOut.answered(message.ids, message.errors);
    else if (message.kind === "connection") this.connected = message.connected;
  }

  private failed(worker: Worker, error: Error): void {
    if (this.worker !== worker || this.closing) return;
    this.worker = undefined;
    const { logger } = this.options;
    logger.error({ err: error }, "the MQTT subscriber's thread failed; starting it again");
    this.fanOut.failPublications(new Error(`the MQTT subscriber failed: ${error.message}`));
    const restart = () => {
      if (this.closing) return;
      this.start().then(
        () => logger.warn("the MQTT subscriber is up again"),
        (startError: unknown) => {
          logger.error({ err: startError }, "the MQTT subscriber did not start again; trying later");
          setTimeout(restart, RESTART_DELAY_MS * 5).unref();
        },
      );
    };
    setTimeout(restart, RESTART_DELAY_MS).unref();
  }
}

/** Connects the stack's one session to the external broker; rejects when it cannot within the timeout. */
export async function startExternalSubscription(options: SubscriberOptions): Promise<ExternalSubscription> {
  const thread = new SubscriberThread(options);
  await thread.start();
  return thread;
}
