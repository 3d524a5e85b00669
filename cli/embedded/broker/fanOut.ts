/**
 * The main thread's side of a thread that brings the bridges their messages (the embedded broker,
 * brokerThread.ts; the subscriber to an external broker, subscriberThread.ts): one stream of
 * decoded messages, each handed to every MEC's bridge whose topics it matches, in the order they
 * came, as one shared object (what one bridge learnt about it the next reuses).
 *
 * A message that waits for its acknowledgement (a QoS 1 message of the subscriber's session) is
 * done once every bridge it went to said so; its ticket then goes back to the thread, which sends
 * the acknowledgement: nothing is acknowledged that a bridge has not delivered, filtered out or
 * dead-lettered.
 */
import type { InboundMessage } from "../../../bridges/mqtt/classify.ts";
import type { MessageSource, SourceFactory } from "../../../bridges/mqtt/source.ts";
import { type DashboardPublisher, publicationBody } from "../../../functions/lib/proxy/publisher.ts";
import { topicMatches } from "../../../functions/lib/topics.ts";
import { HandOnQueue } from "../handOnQueue.ts";
import { PublicationOutbox } from "./outbox.ts";
import { MAX_AHEAD, type MessageBatch, type Publication, type ToBroker } from "./protocol.ts";
import { packPublications } from "./publications.ts";

export interface InProcessSource {
  /** Starts the source of one bridge. */
  start: SourceFactory;
  /** True for the first bridge that rejects a message: the one that reports it. */
  claimRejection(message: InboundMessage): boolean;
}

type Handle = (message: InboundMessage, ack: () => void, redelivered: boolean) => Promise<void> | undefined;

interface Reader {
  filters: string[];
  handle: Handle;
}

interface Pending {
  message: InboundMessage;
  /** The bridges this message goes to, in the order they started. */
  handlers: Handle[];
  ack: () => void;
  redelivered: boolean;
}

const nothing = (): void => {};

/** Hands a message to each bridge in turn; waits for a bridge that says it is full. */
function handToBridges(pending: Pending, from: number): Promise<void> | undefined {
  const { handlers, message, ack, redelivered } = pending;
  for (let index = from; index < handlers.length; index++) {
    const full = (handlers[index] as Handle)(message, ack, redelivered);
    if (full !== undefined) return full.then(() => handToBridges(pending, index + 1));
  }
  return undefined;
}

export class BridgeFanOut {
  private readonly readers: Reader[] = [];
  private readonly handlersByTopic = new Map<string, Handle[]>();
  private readonly queue: HandOnQueue<Pending>;
  private readonly outbox: PublicationOutbox;
  private readonly rejected = new WeakSet<InboundMessage>();
  private done: number[] = [];
  private doneScheduled = false;

  constructor(
    /** Tells the thread; dropped while it is not running. */
    private readonly tell: (message: ToBroker, transfer?: ArrayBuffer[]) => void,
    private readonly running: () => boolean,
  ) {
    this.queue = new HandOnQueue<Pending>({
      handOn: (pending) => handToBridges(pending, 0),
      onHanded: (count) => this.tell({ kind: "taken", count }),
      maxWaiting: MAX_AHEAD,
    });
    this.outbox = new PublicationOutbox((publications) => {
      const batch = packPublications(publications);
      this.tell(batch, [batch.buffer]);
    });
  }

  /** The bridges' topic filters, told again to a thread that started again. */
  get filters(): string[] {
    return this.readers.flatMap((reader) => reader.filters);
  }

  close(): void {
    this.queue.close();
    this.outbox.failAll(new Error("the broker is closed"));
  }

  /** The thread failed: what it had not answered will not be. */
  failPublications(error: Error): void {
    this.outbox.failAll(error);
  }

  /** The thread's answers to publications. */
  answered(ids: readonly number[], errors: readonly (string | undefined)[]): void {
    this.outbox.answered(ids, errors);
  }

  readonly source: InProcessSource = {
    start: ({ topics, logger, onMessage }): MessageSource => {
      let open = true;
      const handle: Handle = (message, ack, redelivered) => {
        if (!open) return undefined;
        try {
          const full = onMessage(message, ack, redelivered);
          return full?.catch((error: unknown) => {
            logger.error({ err: error, topic: message.topic }, "message handler failed");
          });
        } catch (error) {
          logger.error({ err: error, topic: message.topic }, "message handler failed");
          ack();
          return undefined;
        }
      };
      const reader: Reader = { filters: [...topics], handle };
      this.readers.push(reader);
      this.handlersByTopic.clear();
      this.tell({ kind: "subscribe", filters: reader.filters });
      return {
        isConnected: () => open && this.running(),
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
      this.publish({ topic, payload: publicationBody(payload), qos: 0, retain }),
  };

  /** Resolves when the broker has taken the publication. */
  private publish(publication: Omit<Publication, "id">, timeoutMs = 10_000): Promise<void> {
    if (!this.running()) return Promise.reject(new Error("the broker's thread is not running"));
    return this.outbox.add(publication, timeoutMs);
  }

  /** A batch from the thread: into the queue, each message with the bridges that read its topic. */
  take(batch: MessageBatch): void {
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
      const extras = batch.extras?.[index];
      if (extras?.userProperties !== undefined) message.userProperties = extras.userProperties;
      if (extras?.contentType !== undefined) message.contentType = extras.contentType;
      const handlers = this.handlersFor(topic);
      const ticket = extras?.ticket;
      if (handlers.length === 0) {
        unread++;
        if (ticket !== undefined) this.finished(ticket);
        continue;
      }
      const ack = ticket === undefined ? nothing : this.ackAfter(handlers.length, ticket);
      arrived.push({ message, handlers, ack, redelivered: extras?.redelivered === true });
    }
    this.queue.pushAll(arrived);
    // A bridge that closed meanwhile: nobody takes these, so they are room again.
    if (unread > 0) this.tell({ kind: "taken", count: unread });
  }

  /** An acknowledgement that each of `bridges` calls once: the last call makes the message done. */
  private ackAfter(bridges: number, ticket: number): () => void {
    let left = bridges;
    return () => {
      if (--left === 0) this.finished(ticket);
    };
  }

  private finished(ticket: number): void {
    this.done.push(ticket);
    if (this.doneScheduled) return;
    this.doneScheduled = true;
    setImmediate(() => {
      this.doneScheduled = false;
      const tickets = this.done;
      this.done = [];
      this.tell({ kind: "done", tickets });
    });
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
}
