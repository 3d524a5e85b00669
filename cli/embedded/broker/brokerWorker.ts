/**
 * The embedded MQTT broker's thread: Aedes and its TCP server, off the main thread, which keeps the
 * bridges, the twins, the control plane and the API. Reading and parsing the stations' MQTT packets
 * was a seventh of the main thread's work at 1,000 vehicles.
 *
 * Messages on the topics the bridges read are decoded here and sent to the main thread in
 * batches (batchOut.ts). Publications from the main thread (dead letters, dashboards) come the
 * other way, also in batches.
 *
 * Back-pressure: while the main thread has not taken enough of what was sent (batchOut.ts), a
 * client's next publication to a topic the bridges read waits before the broker takes it, which
 * stops the broker reading from that client alone; other clients and other topics go on.
 *
 * Clients that would hold everyone up are closed: a subscriber whose socket is full and stays
 * full for SLOW_CONSUMER_DRAIN_MS (it stopped reading), and a client that declares a packet over
 * MAX_PACKET_BYTES (packetSizeGate.ts) before its body is buffered.
 */
import net from "node:net";
import tls from "node:tls";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { Aedes, type AedesPublishPacket } from "aedes";
import { topicMatches } from "../../../functions/lib/topics.ts";
import { BatchOut, PublishedAnswers } from "./batchOut.ts";
import { authenticateWith } from "./credentials.ts";
import { PacketSizeGate } from "./packetSizeGate.ts";
import type { BrokerThreadData, FromBroker, ToBroker } from "./protocol.ts";
import { unpackPublications } from "./publications.ts";

if (isMainThread || parentPort === null) throw new Error("brokerWorker.ts runs as a worker thread");
const port = parentPort;
const config = workerData as BrokerThreadData;
const send = (message: FromBroker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

/**
 * How long a delivery waits for a subscriber whose socket buffers are full (the kernel's and
 * Node's: megabytes behind) before the subscriber is cut off. Aedes delivers each message to its
 * subscribers before the next, so a stuck one holds up every publisher: by default for 60 s,
 * which stopped the stations' CAMs for as long.
 */
export const SLOW_CONSUMER_DRAIN_MS = 250;

const broker = await Aedes.createBroker({
  drainTimeout: SLOW_CONSUMER_DRAIN_MS,
  ...(config.credentials === undefined ? {} : { authenticate: authenticateWith(config.credentials) }),
});
const sockets = new Set<net.Socket>();

function clientClosed(socket: net.Socket, reason: string): void {
  send({ kind: "client-closed", reason, remote: `${socket.remoteAddress}:${socket.remotePort}` });
}

/**
 * Aedes reads each socket with `read()` and parses what it gets; the gate sees those bytes first.
 * Aedes has no hook before its parser, hence the wrapped method on this one socket.
 */
function gateReads(socket: net.Socket): void {
  const gate = new PacketSizeGate();
  const read = socket.read;
  socket.read = function gatedRead(this: net.Socket, size?: number) {
    const chunk: Buffer | null = read.call(this, size);
    if (chunk === null) return chunk;
    const verdict = gate.feed(chunk);
    if (verdict.ok) return chunk;
    clientClosed(socket, verdict.reason);
    socket.destroy();
    return null;
  };
}

function serve(socket: net.Socket): void {
  sockets.add(socket);
  socket.once("close", () => sockets.delete(socket));
  gateReads(socket);
  broker.handle(socket);
}
const server =
  config.tls === undefined
    ? net.createServer(serve)
    : tls.createServer({ cert: config.tls.cert, key: config.tls.key }, serve);
broker.on("clientError", (client, error) => {
  if (error.message === "drain timeout") {
    send({ kind: "client-closed", reason: `subscriber ${client.id} stopped reading; cut off`, remote: "" });
  }
});

// One decoding per message: both bridges share it on the main thread.
const out = new BatchOut(send);
const filters = new Map<string, number>();
const readByBridges = new Map<string, boolean>();
let lastPacket: AedesPublishPacket | undefined;

function readByAnyBridge(topic: string): boolean {
  let read = readByBridges.get(topic);
  if (read === undefined) {
    read = [...filters.keys()].some((filter) => topicMatches(filter, topic));
    // There are few topic names; the bound is for clients that invent many.
    if (readByBridges.size >= 1_024) readByBridges.clear();
    readByBridges.set(topic, read);
  }
  return read;
}

const authorize = broker.authorizePublish;
broker.authorizePublish = (client, packet, callback) => {
  authorize.call(broker, client, packet, (error) => {
    if (error) return callback(error);
    if (out.hasRoom || !readByAnyBridge(packet.topic)) return callback(null);
    out.whenRoom(() => callback(null));
  });
};

/** Aedes calls every matching subscription with the same packet, one after the other: one copy each. */
function onPacket(packet: AedesPublishPacket, done: () => void): void {
  if (packet !== lastPacket) {
    lastPacket = packet;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    out.push({ topic: packet.topic, payload, receivedAtMs: Date.now() });
  }
  done();
}

const answers = new PublishedAnswers(send);

function publish({ id, topic, payload, qos, retain }: ReturnType<typeof unpackPublications>[number]): void {
  // Aedes keeps retained and QoS 1 payloads: a copy, so that they do not hold the whole batch's buffer.
  const body = retain || qos > 0 ? Buffer.from(payload) : payload;
  broker.publish({ cmd: "publish", topic, payload: body, qos, retain, dup: false }, (error) =>
    answers.answer(id, error),
  );
}

function subscribe(list: string[]): void {
  for (const filter of list) {
    const count = filters.get(filter) ?? 0;
    filters.set(filter, count + 1);
    if (count === 0) broker.subscribe(filter, onPacket, () => {});
  }
  readByBridges.clear();
}

function unsubscribe(list: string[]): void {
  for (const filter of list) {
    const count = filters.get(filter) ?? 0;
    if (count <= 1) {
      filters.delete(filter);
      if (count === 1) broker.unsubscribe(filter, onPacket, () => {});
    } else filters.set(filter, count - 1);
  }
  readByBridges.clear();
}

async function close(): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  out.taken(Number.POSITIVE_INFINITY);
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await closed;
  send({ kind: "closed" });
  port.close();
}

port.on("message", (message: ToBroker) => {
  switch (message.kind) {
    case "subscribe":
      return subscribe(message.filters);
    case "unsubscribe":
      return unsubscribe(message.filters);
    case "taken":
      return out.taken(message.count);
    case "done":
      return;
    case "publish":
      for (const publication of unpackPublications(message)) publish(publication);
      return;
    case "close":
      return void close();
  }
});

server.once("error", (error: NodeJS.ErrnoException) => {
  send({ kind: "listen-failed", code: error.code, message: error.message });
  broker.close(() => port.close());
});
server.listen(config.port, config.host, () => {
  server.removeAllListeners("error");
  send({ kind: "listening", port: (server.address() as net.AddressInfo).port });
});
