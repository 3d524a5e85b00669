/**
 * MQTT in: a persistent QoS 1 session whose PUBACKs go out only when the bridge says a message is
 * done (delivered or dead-lettered), in arrival order, with back-pressure on the socket when the
 * bridge is full. Reconnects with backoff and logs an outage once, not per attempt.
 */
import mqtt, { type IClientOptions, type IPublishPacket } from "mqtt";
import { rateLimited } from "../../functions/lib/log.ts";
import { backoffDelay, RECONNECT_BACKOFF } from "../../functions/lib/runtime/backoff.ts";
import { AckSequencer } from "./ackSequencer.ts";
import type { InboundMessage } from "./classify.ts";
import type { UserProperties } from "./mqttCloudEvent.ts";
import type { MessageSource, SourceHandlers } from "./source.ts";

export interface MqttSourceOptions extends SourceHandlers {
  url: string;
  /** Stable across restarts, so the broker keeps the session (subscriptions and queued messages). */
  clientId: string;
  username?: string;
  password?: string;
  /** CA bundle for mqtts://; certificates are always verified. */
  ca?: string | Buffer;
  /** 5 (default) or 4 (MQTT 3.1.1, e.g. for brokers without MQTT 5 such as Aedes). */
  protocolVersion?: 4 | 5;
  /** MQTT 5 flow control: QoS 1 messages the broker may have in flight to us. */
  receiveMaximum?: number;
  /** MQTT 5: how long the broker keeps the session while we are away. */
  sessionExpirySeconds?: number;
  connectTimeoutMs?: number;
}

/** A session's source also publishes at QoS 0 and retained (the embedded stack's dashboards). */
export interface MqttMessageSource extends MessageSource {
  publish(
    topic: string,
    payload: string | Buffer,
    timeoutMs?: number,
    options?: { qos: 0 | 1; retain: boolean },
  ): Promise<void>;
}

/** mqtt.js goes on reading packets after this, without sending its own PUBACK (handlers/publish.js). */
const ACK_DEFERRED = new Error("PUBACK deferred until the message is delivered");

interface PendingAck {
  messageId: number;
  connection: number;
}

/**
 * mqtt.js only acks inside its packet loop, one message at a time, which would serialise every
 * delivery. The bridge acks later from outside the loop; mqtt.js has no public call for that, so
 * this reaches its packet writer. mqtt is pinned to an exact version in package.json.
 */
interface PacketWriter {
  _sendPacket(packet: { cmd: "puback"; messageId: number; reasonCode?: number }, callback?: () => void): void;
}

function userPropertiesOf(packet: IPublishPacket): UserProperties | undefined {
  const properties = packet.properties?.userProperties;
  return properties === undefined ? undefined : (properties as UserProperties);
}

export function startMqttSource(options: MqttSourceOptions): MqttMessageSource {
  const { logger } = options;
  const protocolVersion = options.protocolVersion ?? 5;
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    clean: false,
    protocolVersion,
    reconnectPeriod: RECONNECT_BACKOFF.initialMs,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    resubscribe: true,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    rejectUnauthorized: true,
    ...(protocolVersion === 5
      ? {
          properties: {
            sessionExpiryInterval: options.sessionExpirySeconds ?? 86_400,
            receiveMaximum: options.receiveMaximum ?? 1000,
          },
        }
      : {}),
  };
  const client = mqtt.connect(options.url, clientOptions);
  const writer = client as unknown as PacketWriter;
  const logOutageError = rateLimited(60_000);

  let connection = 0;
  let acks = new AckSequencer<PendingAck>();
  let outageStartedAt: number | undefined;
  let reconnectAttempts = 0;
  let subscribed = false;

  client.on("connect", (connack) => {
    connection++;
    acks = new AckSequencer<PendingAck>();
    if (outageStartedAt !== undefined) {
      const seconds = ((Date.now() - outageStartedAt) / 1000).toFixed(1);
      logger.info(
        { seconds, attempts: reconnectAttempts, sessionPresent: connack.sessionPresent },
        "broker back",
      );
    } else {
      logger.info({ url: options.url, sessionPresent: connack.sessionPresent }, "connected to the broker");
    }
    if (outageStartedAt !== undefined && !connack.sessionPresent) {
      logger.warn(
        "the broker did not keep our session: messages published while we were away may be missing",
      );
    }
    outageStartedAt = undefined;
    reconnectAttempts = 0;
    client.options.reconnectPeriod = RECONNECT_BACKOFF.initialMs;
    if (!subscribed) {
      subscribed = true;
      client.subscribe([...options.topics], { qos: 1 }, (error, granted) => {
        if (error) {
          subscribed = false;
          logger.error({ err: error }, "subscribe failed");
          return;
        }
        const refused = (granted ?? []).filter((grant) => grant.qos > 2).map((grant) => grant.topic);
        if (refused.length > 0) logger.error({ topics: refused }, "the broker refused these subscriptions");
      });
    }
  });
  client.on("offline", () => {
    if (outageStartedAt === undefined) {
      outageStartedAt = Date.now();
      logger.warn({ url: options.url }, "lost the broker; reconnecting with backoff");
    }
  });
  client.on("reconnect", () => {
    reconnectAttempts++;
    client.options.reconnectPeriod = Math.round(backoffDelay(reconnectAttempts, RECONNECT_BACKOFF));
  });
  client.on("error", (error) => {
    if (outageStartedAt !== undefined) {
      logOutageError("outage", () => logger.debug({ err: error }, "still no broker"));
      return;
    }
    logOutageError(error.message, () => logger.warn({ err: error }, "MQTT error"));
  });

  // PUBACKs released in one turn of the event loop leave in one write (one syscall) instead of one
  // each: deliveries finish in separate I/O callbacks, so the flush waits for setImmediate, which
  // runs once the callbacks of this turn are done (a tick would flush after every single one).
  let corked: NodeJS.WritableStream | undefined;
  function sendAck(pending: PendingAck): void {
    // Acks of an earlier connection are void: the broker redelivers those messages itself.
    if (pending.connection !== connection || !client.connected) return;
    const stream = client.stream as unknown as NodeJS.WritableStream & { cork?(): void; uncork?(): void };
    if (corked !== stream && typeof stream.cork === "function") {
      corked = stream;
      stream.cork();
      setImmediate(() => {
        corked = undefined;
        stream.uncork?.();
      });
    }
    writer._sendPacket({ cmd: "puback", messageId: pending.messageId, reasonCode: 0 });
  }

  client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void) => {
    const message: InboundMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      receivedAtMs: Date.now(),
    };
    const userProperties = userPropertiesOf(packet);
    if (userProperties !== undefined) message.userProperties = userProperties;
    if (packet.properties?.contentType !== undefined) message.contentType = packet.properties.contentType;

    let ack: () => void = () => {};
    if (packet.qos > 0 && packet.messageId !== undefined) {
      const sequencer = acks;
      const ticket = sequencer.add({ messageId: packet.messageId, connection });
      let acked = false;
      ack = () => {
        if (acked) return;
        acked = true;
        for (const pending of sequencer.complete(ticket)) sendAck(pending);
      };
    }
    // A handler that fails cannot say when the message is done; acking it keeps the acks of every
    // later message flowing (holding it back would stall the whole session).
    const failed = (error: unknown) => {
      logger.error({ err: error, topic: message.topic }, "message handler failed; acknowledged");
      ack();
      callback(ACK_DEFERRED);
    };
    let proceed: Promise<void> | void;
    try {
      proceed = options.onMessage(message, ack, packet.dup);
    } catch (error) {
      failed(error);
      return;
    }
    if (proceed === undefined) callback(ACK_DEFERRED);
    else proceed.then(() => callback(ACK_DEFERRED), failed);
  };

  return {
    isConnected: () => client.connected,
    publish(topic, payload, timeoutMs = 10_000, publishOptions = { qos: 1, retain: false }) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`publish to ${topic} not acknowledged in ${timeoutMs} ms`)),
          timeoutMs,
        );
        client.publish(topic, payload, publishOptions, (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        });
      });
    },
    async close() {
      // Never unsubscribe: the persistent session keeps collecting messages while we are gone.
      await client.endAsync();
    },
  };
}
