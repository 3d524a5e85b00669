/**
 * The bridge benchmark's other machines, as worker threads of the bench process: the broker with the
 * publisher (Aedes, MQTT 3.1.1) and the CloudEvents sink. Their code is plain JavaScript evaluated
 * in the worker, so it needs no TypeScript loader; it imports packages by URLs resolved here.
 */
import { Worker } from "node:worker_threads";
import { eventId } from "../../bridges/mqtt/event.ts";

export interface Sink {
  url: string;
  /** Event id -> when the sink had parsed it (ms, performance clock). */
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

/**
 * The sink thread: a CloudEvents HTTP receiver (node http + the SDK's HTTP.toEvent) answering 202,
 * reporting when it parsed each event. Its own thread, as the Broker is another machine in a cluster.
 */
const SINK_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const now = () => performance.timeOrigin + performance.now();
(async () => {
  const cloudevents = await import(workerData.cloudevents);
  const HTTP = cloudevents.HTTP || cloudevents.default.HTTP;
  let batch = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      try {
        const event = HTTP.toEvent({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
        batch.push(event.id, now());
        response.writeHead(202).end();
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  server.keepAliveTimeout = 30000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const timer = setInterval(() => {
    if (batch.length === 0) return;
    parentPort.postMessage({ type: "arrivals", batch });
    batch = [];
  }, 5);
  parentPort.on("message", () => {
    clearInterval(timer);
    server.closeAllConnections();
    server.close(() => parentPort.close());
  });
  parentPort.postMessage({ type: "ready", url: "http://127.0.0.1:" + server.address().port + "/" });
})().catch((error) => parentPort.postMessage({ type: "error", message: String(error && error.stack || error) }));
`;

export async function startSink(): Promise<Sink> {
  const arrivals = new Map<string, number>();
  const worker = new Worker(SINK_WORKER, {
    eval: true,
    workerData: { cloudevents: import.meta.resolve("cloudevents") },
  });
  const url = await new Promise<string>((resolve, reject) => {
    worker.on(
      "message",
      (message: { type: string; url?: string; batch?: (string | number)[]; message?: string }) => {
        if (message.type === "ready") resolve(message.url as string);
        else if (message.type === "error") reject(new Error(`sink thread failed: ${message.message}`));
        else if (message.type === "arrivals" && message.batch) {
          for (let index = 0; index < message.batch.length; index += 2) {
            const id = message.batch[index] as string;
            if (!arrivals.has(id)) arrivals.set(id, message.batch[index + 1] as number);
          }
        }
      },
    );
    worker.once("error", reject);
  });
  return {
    url,
    arrivals,
    close: async () => {
      worker.postMessage("close");
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}

/** Absolute milliseconds with sub-millisecond precision, comparable across threads. */
export const now = () => performance.timeOrigin + performance.now();

/**
 * The worker: Aedes on a free port and a QoS 1 publisher. Plain JavaScript evaluated in the worker,
 * so it needs no TypeScript loader; it imports the packages by the URLs the main thread resolved.
 */
const BROKER_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const net = require("node:net");
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const { Aedes } = await import(workerData.aedes);
  const mqtt = (await import(workerData.mqtt)).default;
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = "mqtt://127.0.0.1:" + server.address().port;
  const publisher = mqtt.connect(url, { protocolVersion: 4, clientId: "bench-publisher" });
  await new Promise((resolve) => publisher.once("connect", resolve));
  parentPort.on("message", async (job) => {
    if (job.type === "close") {
      await publisher.endAsync();
      await new Promise((resolve) => broker.close(resolve));
      server.close();
      parentPort.close();
      return;
    }
    const times = new Float64Array(job.payloads.length);
    const acked = [];
    const perTick = job.rate ? Math.max(1, Math.round(job.rate / 100)) : job.payloads.length;
    const start = now();
    for (let index = 0; index < job.payloads.length; index += perTick) {
      if (job.rate) {
        const wait = start + (index / job.rate) * 1000 - now();
        if (wait > 0) await sleep(wait);
      }
      for (let i = index; i < Math.min(index + perTick, job.payloads.length); i++) {
        times[i] = now();
        acked.push(publisher.publishAsync(job.topic, job.payloads[i], { qos: 1 }));
      }
    }
    await Promise.all(acked);
    parentPort.postMessage({ type: "published", times });
  });
  parentPort.postMessage({ type: "ready", url });
})().catch((error) => parentPort.postMessage({ type: "error", message: String(error && error.stack || error) }));
`;

export interface BrokerThread {
  url: string;
  /** Publishes at QoS 1 (at `rate` per second, or as fast as possible); resolves with each publish time. */
  publish(payloads: string[], rate?: number, topic?: string): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export async function startBrokerThread(defaultTopic: string): Promise<BrokerThread> {
  const worker = new Worker(BROKER_WORKER, {
    eval: true,
    workerData: { aedes: import.meta.resolve("aedes"), mqtt: import.meta.resolve("mqtt") },
  });
  const next = () =>
    new Promise<{ type: string; url?: string; times?: Float64Array; message?: string }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
  const ready = await next();
  if (ready.type !== "ready") throw new Error(`broker thread failed: ${ready.message}`);
  return {
    url: ready.url as string,
    async publish(payloads, rate, topic = defaultTopic) {
      const answer = next();
      worker.postMessage({ type: "publish", topic, payloads, rate });
      const { times } = await answer;
      const published = new Map<string, number>();
      payloads.forEach((payload, index) => {
        published.set(eventId(topic, Buffer.from(payload)), times?.[index] ?? Number.NaN);
      });
      return published;
    },
    async close() {
      worker.postMessage({ type: "close" });
      await new Promise((resolve) => worker.once("exit", resolve));
    },
  };
}
