/**
 * Traces: JSON lines of `{"time": <ms since the trace started>, "topic": "...", "payload": "..."}`.
 * Record mode writes one from live traffic on a broker; replay mode publishes one again at 1x or
 * faster. The payload is kept as the exact string received, so bad input replays as bad input.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import type { MqttClient } from "mqtt";

export interface TraceEntry {
  time: number;
  topic: string;
  payload: string;
}

export function formatTraceEntry(entry: TraceEntry): string {
  return JSON.stringify({ time: entry.time, topic: entry.topic, payload: entry.payload });
}

/** Reads one trace line; an object payload (hand-written traces) is accepted and re-serialized. */
export function parseTraceLine(line: string, where: string): TraceEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`${where}: not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${where}: expected an object {time, topic, payload}`);
  }
  const { time, topic, payload } = value as Record<string, unknown>;
  if (typeof time !== "number" || !Number.isFinite(time) || time < 0) {
    throw new Error(`${where}: time must be a number of milliseconds >= 0`);
  }
  if (typeof topic !== "string" || topic === "" || topic.includes("+") || topic.includes("#")) {
    throw new Error(`${where}: topic must be a non-empty MQTT topic without wildcards`);
  }
  if (payload === undefined) throw new Error(`${where}: payload is missing`);
  return { time, topic, payload: typeof payload === "string" ? payload : JSON.stringify(payload) };
}

export async function* readTrace(file: string): AsyncGenerator<TraceEntry> {
  const stream = createReadStream(file, { encoding: "utf8" });
  const opened = once(stream, "open").catch((error: Error) => {
    throw new Error(`cannot read trace ${file}: ${error.message}`);
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === "") continue;
    yield parseTraceLine(line, `${file}:${number}`);
  }
}

export interface ReplayOptions {
  client: MqttClient;
  file: string;
  /** 1 = as recorded, 10 = ten times faster, 0 = as fast as possible. */
  speed: number;
  qos?: 0 | 1;
  signal?: AbortSignal;
  onPublish?: (entry: TraceEntry) => void;
}

/** Publishes a trace keeping its timing (scaled by `speed`); resolves with the number of messages. */
export async function replayTrace(options: ReplayOptions): Promise<number> {
  if (!(options.speed >= 0)) throw new Error(`speed must be >= 0, got ${options.speed}`);
  const started = performance.now();
  let published = 0;
  for await (const entry of readTrace(options.file)) {
    if (options.signal?.aborted) break;
    if (options.speed > 0) {
      const dueMs = entry.time / options.speed - (performance.now() - started);
      if (dueMs > 1) await new Promise((resolve) => setTimeout(resolve, dueMs));
    }
    await options.client.publishAsync(entry.topic, entry.payload, { qos: options.qos ?? 0 });
    published++;
    options.onPublish?.(entry);
  }
  return published;
}

export interface TraceRecorder {
  recorded(): number;
  close(): Promise<void>;
}

/** Writes every message on `topics` to `file` until closed. */
/** Opens (creates or empties) a trace file; rejects with a sentence naming it when it cannot. */
export async function openTraceFile(file: string): Promise<WriteStream> {
  const out: WriteStream = createWriteStream(file, { flags: "w" });
  await once(out, "open").catch((error: Error) => {
    throw new Error(`cannot write trace ${file}: ${error.message}`);
  });
  return out;
}

/** Records `topics` to `file`, a path or a stream from openTraceFile. */
export async function recordTrace(
  client: MqttClient,
  file: string | WriteStream,
  topics: readonly string[],
): Promise<TraceRecorder> {
  const out = typeof file === "string" ? await openTraceFile(file) : file;
  let firstMs: number | undefined;
  let count = 0;
  const onMessage = (topic: string, payload: Buffer) => {
    const now = Date.now();
    firstMs ??= now;
    out.write(`${formatTraceEntry({ time: now - firstMs, topic, payload: payload.toString("utf8") })}\n`);
    count++;
  };
  client.on("message", onMessage);
  await client.subscribeAsync([...topics], { qos: 0 });
  return {
    recorded: () => count,
    async close() {
      client.off("message", onMessage);
      await new Promise<void>((resolve) => out.end(resolve));
    },
  };
}
