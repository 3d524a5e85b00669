/**
 * The bridge: MQTT in, CloudEvents out. Each message is classified (pure), filtered, queued per
 * station (ordered, bounded), delivered with retries, and only then acknowledged to the broker,
 * so every message the broker accepted reaches the sink or the dead-letter topic at least once.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { CloudEvent } from "cloudevents";
import { decode as decodeCits } from "../../functions/lib/cits/decode.ts";
import { componentLogger, rateLimited } from "../../functions/lib/log.ts";
import { metrics } from "../../functions/lib/metrics.ts";
import { emitWithRetry, type RetryOptions } from "../../functions/lib/runtime/emit/retry.ts";
import { EmitAborted, SinkError } from "../../functions/lib/runtime/emit/sink.ts";
import { KeyedQueue } from "../../functions/lib/runtime/keyedQueue.ts";
import { DEFAULT_DEADLETTER_TOPIC, DEFAULT_INPUT_TOPICS } from "../../functions/lib/topics.ts";
import { eventLogContext } from "../../functions/lib/tracing.ts";
import { BridgeCounts } from "./bridgeCounts.ts";
import type { BridgeOptions, BridgeStats, RunningBridge } from "./bridgeOptions.ts";
import { classify, type InboundMessage } from "./classify.ts";
import { type DeadLetterCode, deadLetter } from "./deadLetter.ts";
import { markedArriving } from "./event.ts";
import { forwardAll } from "./filter.ts";
import { startMqttSource } from "./mqttSource.ts";
import { startBridgeServer } from "./server.ts";
import type { SourceFactory } from "./source.ts";

export type { BridgeOptions, BridgeStats, RunningBridge } from "./bridgeOptions.ts";

interface Work {
  event: CloudEvent<unknown>;
  message: InboundMessage;
  messageType: string;
  ack: () => void;
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const { mec, sink } = options;
  const logger = options.logger ?? componentLogger("bridge", { mec });
  const decode = options.decode ?? decodeCits;
  const deadLetterTopic = options.deadLetterTopic ?? DEFAULT_DEADLETTER_TOPIC;
  const shouldForward = options.shouldForward ?? forwardAll;
  const concurrency = options.concurrency ?? 64;
  const capacity = Math.max(concurrency, options.capacity ?? 2000);
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const logRejection = rateLimited(10_000);
  const stopping = new AbortController();
  const stats: BridgeStats = {
    received: 0,
    forwarded: 0,
    filtered: 0,
    rejected: {},
    retries: 0,
    redelivered: 0,
    queued: 0,
    connected: false,
  };
  const deliverySeconds = metrics.bridgeDeliverySeconds.labels({ mec });
  const pendingDeadLetters = new Set<Promise<void>>();
  let roomWaiters: (() => void)[] = [];
  let closing = false;
  let resumeOnClose: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resumeOnClose = resolve;
  });

  async function reject(
    message: InboundMessage,
    code: DeadLetterCode,
    reason: string,
    sink?: { status: number; body: string },
  ): Promise<void> {
    stats.rejected[code] = (stats.rejected[code] ?? 0) + 1;
    metrics.bridgeRejected.inc({ mec, reason: code });
    logRejection(code, () =>
      logger.warn({ code, reason, topic: message.topic }, "rejected to the dead-letter topic"),
    );
    const record = deadLetter({
      code,
      reason,
      topic: message.topic,
      payload: message.payload,
      receivedAtMs: message.receivedAtMs,
      mec,
      ...(sink ? { sink } : {}),
    });
    try {
      await source.publish(deadLetterTopic, JSON.stringify(record));
    } catch (error) {
      // The record is information, not the message: a broker that refuses it must not stall the session.
      logRejection("dead-letter-publish", () =>
        logger.error({ err: error }, "could not publish to the dead-letter topic"),
      );
    }
  }

  function rejectNow(message: InboundMessage, ack: () => void, code: DeadLetterCode, reason: string): void {
    const pending = reject(message, code, reason).finally(() => {
      ack();
      pendingDeadLetters.delete(pending);
    });
    pendingDeadLetters.add(pending);
  }

  // The same for every message: made once, not per delivery.
  const retry: RetryOptions = {
    signal: stopping.signal,
    ...(options.retryPolicy ? { policy: options.retryPolicy } : {}),
    onRetry: (error, attempt, delayMs) => {
      stats.retries++;
      metrics.bridgeRetries.inc({ mec });
      logRejection("retry", () =>
        logger.warn(
          { err: error.message, status: error.status, attempt, delayMs },
          "delivery failed; retrying",
        ),
      );
    },
  };

  function forwarded(item: Work): void {
    stats.forwarded++;
    counts.forwarded(item.messageType);
    deliverySeconds.observe((Date.now() - item.message.receivedAtMs) / 1000);
    // Per message, so only at debug: the first line of the trace that follows one CAM.
    if (logger.isLevelEnabled("debug")) {
      logger.debug(
        { ...eventLogContext(item.event), eventId: item.event.id, type: item.messageType },
        "forwarded",
      );
    }
    item.ack();
  }

  async function notForwarded(item: Work, error: unknown): Promise<void> {
    // Shutting down: no ack, so the broker hands the message to the next session.
    if (error instanceof EmitAborted) return;
    const failure = error instanceof SinkError ? error : new SinkError(String(error), false);
    const sink =
      failure.status === undefined ? undefined : { status: failure.status, body: failure.body ?? "" };
    await reject(item.message, "sink-rejected", `the sink refused the event: ${failure.message}`, sink);
    item.ack();
  }

  // Not async: this runs for every message, and an async frame cost more than the two callbacks.
  function work(item: Work): Promise<void> {
    return emitWithRetry(sink, item.event, retry).then(
      () => forwarded(item),
      (error: unknown) => notForwarded(item, error),
    );
  }

  const queue = new KeyedQueue<Work>({
    concurrency,
    worker: work,
    onError: (error) => logger.error({ err: error }, "delivery worker failed"),
    onSizeChange: (size) => {
      stats.queued = size;
      if (size < capacity && roomWaiters.length > 0) {
        const waiters = roomWaiters;
        roomWaiters = [];
        for (const resolve of waiters) resolve();
      }
    },
  });

  // Counted in plain numbers and handed to prom-client when the metrics are read: it hashes the
  // label set on every inc() or set(), several times per message and bridge.
  const counts = new BridgeCounts(mec, () => queue.size);

  function onMessage(
    message: InboundMessage,
    ack: () => void,
    redelivered: boolean,
  ): Promise<void> | undefined {
    // Stop taking: hold the read loop; the broker keeps this and later messages for the next session.
    if (closing) return closed;
    stats.received++;
    if (redelivered) stats.redelivered++;
    const outcome = classify(message, mec, decode, options.maxClockAheadMs);
    if (outcome.kind === "reject") {
      counts.received("unknown");
      if (options.claimRejection?.(message) === false) ack();
      else rejectNow(message, ack, outcome.code, outcome.reason);
      return undefined;
    }
    counts.received(outcome.messageType);
    const forwarding = shouldForward(outcome.stationId, outcome.position);
    if (forwarding === false) {
      stats.filtered++;
      counts.filtered++;
      ack();
      return undefined;
    }
    // Counted by the bridge that forwards the message, not by every MEC's bridge that reads it.
    const dropped = message.decoded?.ok === true ? message.decoded.dropped : undefined;
    if (dropped !== undefined)
      for (const part of dropped) metrics.bridgePartsDropped.inc({ mec, code: part.code });
    const event = forwarding === "arriving" ? markedArriving(outcome.event) : outcome.event;
    queue.push(outcome.stationId, { event, message, messageType: outcome.messageType, ack });
    if (queue.size < capacity) return undefined;
    return new Promise<void>((resolve) => roomWaiters.push(resolve));
  }

  const mqttOptions = options.mqtt;
  const topics = mqttOptions.topics ?? DEFAULT_INPUT_TOPICS;
  const startSource: SourceFactory =
    options.source ??
    ((handlers) =>
      startMqttSource({
        ...mqttOptions,
        clientId: mqttOptions.clientId ?? `vvcu-bridge-${mec}`,
        receiveMaximum: capacity,
        ...handlers,
      }));
  const source = (options.wrapSource?.(startSource) ?? startSource)({ topics, logger, onMessage });

  const isReady = () => !closing && source.isConnected();
  const server =
    options.httpPort === undefined
      ? undefined
      : await startBridgeServer({
          port: options.httpPort,
          ...(options.httpHost ? { host: options.httpHost } : {}),
          ...(options.apiToken === undefined ? {} : { apiToken: options.apiToken }),
          isReady,
        });

  let closePromise: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    const drained = await Promise.race([
      Promise.all([queue.idle(), ...pendingDeadLetters]).then(() => true),
      delay(drainTimeoutMs, false, { ref: false }),
    ]);
    if (!drained) {
      logger.warn({ left: queue.size }, "drain deadline passed; the broker redelivers what is left");
      stopping.abort();
      await Promise.race([queue.idle(), delay(2_000, undefined, { ref: false })]);
    }
    await source.close();
    resumeOnClose();
    await server?.close();
    await sink.close?.();
    await options.onClose?.();
    counts.stop();
    logger.info({ forwarded: stats.forwarded, rejected: stats.rejected }, "bridge stopped");
  }

  logger.info({ url: mqttOptions.url, concurrency, capacity, deadLetterTopic }, "bridge started");
  return {
    close: () => {
      closePromise ??= close();
      return closePromise;
    },
    stats: () => ({ ...stats, rejected: { ...stats.rejected }, connected: source.isConnected() }),
    port: server?.port,
    isReady,
  };
}
