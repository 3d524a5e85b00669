/**
 * The bridge benchmark's other machines, each in its own process so that the bench process holds
 * only the bridge and its CPU time per CAM can be read from process.cpuUsage(): the broker
 * (Mosquitto, what a MEC runs; Aedes in a child process where Mosquitto is not installed), the
 * QoS 1 publisher and the CloudEvents sink. Their code is plain JavaScript run by a child node,
 * so it needs no TypeScript loader; it imports packages by URLs resolved here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, waitForPort } from "../helpers/servers.ts";

/** Absolute milliseconds with sub-millisecond precision, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();

/** CPU seconds (user + system) a child has used so far. */
export type CpuClock = () => Promise<number>;

interface Child {
  process: ChildProcess;
  /** The child's "ready" message. */
  ready: Record<string, unknown>;
  /** Sends a job and resolves with the child's answer of the given type. */
  ask<T>(message: unknown, answerType: string): Promise<T>;
  cpuSeconds: CpuClock;
  close(): Promise<void>;
}

const CHILD_PRELUDE = `
const send = (message) => process.send(message);
const now = () => performance.timeOrigin + performance.now();
const cpuSeconds = () => { const usage = process.cpuUsage(); return (usage.user + usage.system) / 1e6; };
const fail = (error) => { send({ type: "error", message: String((error && error.stack) || error) }); process.exit(1); };
`;

async function startChild(code: string, data: Record<string, unknown>): Promise<Child> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD_PRELUDE + code], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
    env: { ...process.env, BENCH_CHILD_DATA: JSON.stringify(data) },
  });
  const handlers = new Map<string, (message: Record<string, unknown>) => void>();
  const waiting = new Set<(error: Error) => void>();
  const failAll = (error: Error) => {
    for (const reject of waiting) reject(error);
    waiting.clear();
  };
  child.on("message", (message: Record<string, unknown>) => {
    if (message.type === "error") failAll(new Error(`bench child failed: ${message.message}`));
    const handler = handlers.get(message.type as string);
    handlers.delete(message.type as string);
    handler?.(message);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", (exitCode) => failAll(new Error(`bench child exited (${exitCode})`)));
  const ask = <T>(message: unknown, answerType: string) =>
    new Promise<T>((resolve, reject) => {
      waiting.add(reject);
      handlers.set(answerType, (answer) => {
        waiting.delete(reject);
        resolve(answer as T);
      });
      if (message !== undefined) child.send(message as object);
    });
  const ready = await ask<Record<string, unknown>>(undefined, "ready");
  return {
    process: child,
    ready,
    ask,
    cpuSeconds: async () => (await ask<{ seconds: number }>({ type: "cpu" }, "cpu")).seconds,
    close: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface Sink {
  url: string;
  /** Called with each event id the sink parsed and when (ms, see now()); batched every few ms. */
  onArrival(listener: (id: string, atMs: number) => void): void;
  cpuSeconds: CpuClock;
  close(): Promise<void>;
}

/**
 * The sink: a CloudEvents HTTP receiver (node http + the SDK's HTTP.toEvent, which parses and
 * validates the event) answering 202, reporting when it parsed each event.
 */
const SINK_CHILD = `
const http = await import("node:http");
const { cloudevents } = JSON.parse(process.env.BENCH_CHILD_DATA);
const sdk = await import(cloudevents);
const HTTP = sdk.HTTP || sdk.default.HTTP;
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
setInterval(() => {
  if (batch.length === 0) return;
  send({ type: "arrivals", batch });
  batch = [];
}, 5);
process.on("message", (job) => { if (job.type === "cpu") send({ type: "cpu", seconds: cpuSeconds() }); });
send({ type: "ready", url: "http://127.0.0.1:" + server.address().port + "/" });
`;

export async function startSink(): Promise<Sink> {
  const child = await startChild(SINK_CHILD, { cloudevents: import.meta.resolve("cloudevents") });
  const listeners: ((id: string, atMs: number) => void)[] = [];
  child.process.on("message", (message: { type: string; batch?: (string | number)[] }) => {
    if (message.type !== "arrivals" || !message.batch) return;
    const batch = message.batch;
    for (let index = 0; index < batch.length; index += 2) {
      for (const listener of listeners) listener(batch[index] as string, batch[index + 1] as number);
    }
  });
  return {
    url: child.ready.url as string,
    onArrival: (listener) => listeners.push(listener),
    cpuSeconds: child.cpuSeconds,
    close: child.close,
  };
}

/** The publisher: one MQTT 3.1.1 client publishing at QoS 1, as fast as it can or at a rate. */
const PUBLISHER_CHILD = `
const { mqtt: mqttUrl, url } = JSON.parse(process.env.BENCH_CHILD_DATA);
const mqtt = (await import(mqttUrl)).default;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const publisher = mqtt.connect(url, { protocolVersion: 4, clientId: "bench-publisher" });
await new Promise((resolve, reject) => { publisher.once("connect", resolve); publisher.once("error", reject); });
process.on("message", async (job) => {
  if (job.type === "cpu") return send({ type: "cpu", seconds: cpuSeconds() });
  const times = new Float64Array(job.payloads.length);
  const acked = [];
  const perTick = job.rate ? Math.max(1, Math.round(job.rate / 200)) : job.payloads.length;
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
  send({ type: "published", times });
});
send({ type: "ready" });
`;

/** Aedes, where Mosquitto is not installed: in its own process, as a broker is its own machine. */
const AEDES_CHILD = `
const net = await import("node:net");
const { aedes } = JSON.parse(process.env.BENCH_CHILD_DATA);
const { Aedes } = await import(aedes);
const broker = await Aedes.createBroker();
const server = net.createServer(broker.handle);
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
process.on("message", (job) => { if (job.type === "cpu") send({ type: "cpu", seconds: cpuSeconds() }); });
send({ type: "ready", url: "mqtt://127.0.0.1:" + server.address().port });
`;

export interface Broker {
  url: string;
  /** "mosquitto 2.0.11" or "aedes (in-memory persistence)". */
  name: string;
  /** Whether MQTT 5 is spoken (the bridge's default); Aedes speaks 3.1.1 only. */
  mqtt5: boolean;
  /** Publishes at QoS 1 (at `rate` per second, or as fast as possible); resolves with each publish time. */
  publish(payloads: string[], topic: string, rate?: number): Promise<Float64Array>;
  brokerCpuSeconds: CpuClock;
  publisherCpuSeconds: CpuClock;
  close(): Promise<void>;
}

function findMosquitto(): string | undefined {
  return ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].find(existsSync);
}

/** CPU seconds of a process from /proc (utime + stime, in clock ticks of 1/100 s on Linux). */
function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Mosquitto as a MEC would run it, except: no queue limit (the flood queues tens of thousands for
 * the bridge) and no limit on QoS 1 messages in flight to 3.1.1 clients (MQTT 5 clients, as the
 * bridge, set their own with Receive Maximum).
 */
async function startMosquitto(
  binary: string,
): Promise<{ url: string; name: string; close(): Promise<void>; cpuSeconds: CpuClock }> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-bench-mosquitto-"));
  const config = path.join(dir, "mosquitto.conf");
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      `user ${os.userInfo().username}`,
      "persistence false",
      "max_queued_messages 0",
      "max_inflight_messages 0",
      "log_dest none",
    ].join("\n"),
  );
  const child = spawn(binary, ["-c", config], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitForPort(port);
  const pid = child.pid as number;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    name: "mosquitto",
    cpuSeconds: async () => procCpuSeconds(pid),
    close: async () => {
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startBroker(): Promise<Broker> {
  const mosquitto = findMosquitto();
  const broker = mosquitto
    ? await startMosquitto(mosquitto)
    : await startChild(AEDES_CHILD, { aedes: import.meta.resolve("aedes") }).then((child) => ({
        url: child.ready.url as string,
        name: "aedes (in-memory persistence)",
        cpuSeconds: child.cpuSeconds,
        close: child.close,
      }));
  const publisher = await startChild(PUBLISHER_CHILD, { mqtt: import.meta.resolve("mqtt"), url: broker.url });
  return {
    url: broker.url,
    name: broker.name,
    mqtt5: mosquitto !== undefined,
    async publish(payloads, topic, rate) {
      const answer = await publisher.ask<{ times: Float64Array }>(
        { type: "publish", topic, payloads, rate },
        "published",
      );
      return answer.times;
    },
    brokerCpuSeconds: broker.cpuSeconds,
    publisherCpuSeconds: publisher.cpuSeconds,
    async close() {
      await publisher.close();
      await broker.close();
    },
  };
}
