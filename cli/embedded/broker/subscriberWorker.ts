/**
 * The external broker's subscriber (MQTT_URL): one persistent QoS 1 session for the whole stack on
 * a thread of its own, the session a cluster's bridge has (bridges/mqtt/mqttSource.ts). It reads
 * and parses the stations' MQTT packets, decodes the messages and sends them to the main thread in
 * batches (batchOut.ts), where every MEC's bridge takes the ones its filter selects (fanOut.ts).
 * One copy of each message for the stack, whatever the number of MECs.
 *
 * A message's PUBACK goes out once the main thread says every bridge is done with it, in arrival
 * order (mqttSource.ts): what a bridge has not delivered, filtered out or dead-lettered the broker
 * redelivers to the session after a crash or a restart.
 *
 * The main thread's publications (dead letters, dashboards) go out on the same session.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { startMqttSource } from "../../../bridges/mqtt/mqttSource.ts";
import { componentLogger } from "../../../functions/lib/log.ts";
import { BatchOut, PublishedAnswers } from "./batchOut.ts";
import type { FromBroker, SubscriberThreadData, ToBroker } from "./protocol.ts";
import { unpackPublications } from "./publications.ts";

if (isMainThread || parentPort === null) throw new Error("subscriberWorker.ts runs as a worker thread");
const port = parentPort;
const config = workerData as SubscriberThreadData;
const send = (message: FromBroker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
const logger = componentLogger("mqtt-subscriber");

/** How often the session's connection is looked at, to tell the main thread when it changes. */
const CONNECTION_CHECK_MS = 250;

const out = new BatchOut(send);
const answers = new PublishedAnswers(send);
/** Acknowledgements waiting for the main thread, by ticket. */
const waitingAcks = new Map<number, () => void>();
let nextTicket = config.firstTicket;
let connected = false;

const source = startMqttSource({
  url: config.url,
  clientId: config.clientId,
  ...(config.username === undefined ? {} : { username: config.username }),
  ...(config.password === undefined ? {} : { password: config.password }),
  ...(config.ca === undefined ? {} : { ca: config.ca }),
  protocolVersion: config.protocolVersion,
  receiveMaximum: config.receiveMaximum,
  connectTimeoutMs: config.connectTimeoutMs,
  topics: config.topics,
  logger,
  onMessage(message, ack, redelivered) {
    // A message says the session is up: the main thread hears it before the message itself.
    if (!connected) tellConnection(true);
    const ticket = nextTicket++;
    waitingAcks.set(ticket, ack);
    out.push({
      topic: message.topic,
      payload: message.payload,
      receivedAtMs: message.receivedAtMs,
      extras: {
        ticket,
        ...(redelivered ? { redelivered } : {}),
        ...(message.userProperties === undefined ? {} : { userProperties: message.userProperties }),
        ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
      },
    });
    if (out.hasRoom) return undefined;
    return new Promise<void>((resolve) => out.whenRoom(resolve));
  },
});

const connectionCheck = setInterval(() => {
  if (source.isConnected() !== connected) tellConnection(!connected);
}, CONNECTION_CHECK_MS);

function tellConnection(now: boolean): void {
  connected = now;
  send({ kind: "connection", connected });
}

function done(tickets: readonly number[]): void {
  for (const ticket of tickets) {
    const ack = waitingAcks.get(ticket);
    if (ack === undefined) continue;
    waitingAcks.delete(ticket);
    ack();
  }
}

function publish({ id, topic, payload, qos, retain }: ReturnType<typeof unpackPublications>[number]): void {
  source.publish(topic, payload, config.publishTimeoutMs, { qos, retain }).then(
    () => answers.answer(id, undefined),
    (error: Error) => answers.answer(id, error),
  );
}

async function close(): Promise<void> {
  clearInterval(connectionCheck);
  out.taken(Number.POSITIVE_INFINITY);
  // Unacknowledged messages stay with the broker's session, which keeps them for the next one.
  await source.close();
  send({ kind: "closed" });
  port.close();
}

port.on("message", (message: ToBroker) => {
  switch (message.kind) {
    case "taken":
      return out.taken(message.count);
    case "done":
      return done(message.tickets);
    case "publish":
      for (const publication of unpackPublications(message)) publish(publication);
      return;
    case "close":
      return void close();
    // The session subscribes to the bridges' topics from its start (config.topics).
    case "subscribe":
    case "unsubscribe":
      return;
  }
});
