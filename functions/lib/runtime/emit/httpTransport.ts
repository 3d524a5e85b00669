/**
 * Delivery to K_SINK over HTTP in CloudEvents binary content mode, with keep-alive connections
 * (a pool of one per concurrent delivery) and Knative's K_CE_OVERRIDES applied.
 */
import type { CloudEvent } from "cloudevents";
import { type Dispatcher, Pool } from "undici";
import { parseRetryAfter } from "../backoff.ts";
import { binaryMessage } from "./binaryMessage.ts";
import { type EventSink, isRetryableStatus, SinkError } from "./sink.ts";

const ANSWER_CAP_BYTES = 2048;

/**
 * K_CE_OVERRIDES (Knative SinkBinding / ContainerSource): `{"extensions": {"name": "value"}}`,
 * set on every event sent. Throws a clear error on anything else.
 */
export function parseCeOverrides(json: string | undefined): Record<string, string> {
  if (json === undefined || json.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error("K_CE_OVERRIDES is not JSON");
  }
  const extensions = (parsed as { extensions?: unknown } | null)?.extensions;
  if (extensions === undefined) return {};
  if (typeof extensions !== "object" || extensions === null || Array.isArray(extensions)) {
    throw new Error("K_CE_OVERRIDES.extensions must be an object of attribute names to values");
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(extensions)) {
    if (!/^[a-z0-9]{1,20}$/.test(name)) {
      throw new Error(`K_CE_OVERRIDES: '${name}' is not a CloudEvents attribute name (a-z, 0-9, at most 20)`);
    }
    result[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return result;
}

export interface HttpTransportOptions {
  /** K_SINK. */
  url: string;
  overrides?: Record<string, string>;
  /** Connections kept open to the sink; match the bridge's delivery concurrency. */
  maxSockets?: number;
  /** Longest silence on the connection (connecting, sending, or waiting for the answer). */
  timeoutMs?: number;
  /** Extra CA for an https sink; verification stays on. */
  ca?: string | Buffer;
}

type Answer = Dispatcher.ResponseData["body"];

async function readAnswer(body: Answer): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      // Read to the end (the connection stays usable), keep only the start.
      if (size < ANSWER_CAP_BYTES) chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch {
    // What arrived before the break is still the sink's answer.
  }
  return Buffer.concat(chunks).subarray(0, ANSWER_CAP_BYTES).toString("utf8");
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

function failureOf(error: unknown, timeoutMs: number): SinkError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "UND_ERR_INVALID_ARG") {
    // The event cannot be written as HTTP (e.g. a forwarded CloudEvent's extension holds a line
    // break): no retry can fix that, so it goes to the dead-letter topic instead of stalling its station.
    return new SinkError(`the event cannot be sent over HTTP: ${(error as Error).message}`, false);
  }
  if (typeof code === "string" && TIMEOUT_CODES.has(code)) {
    return new SinkError(`sink unreachable: no answer from the sink within ${timeoutMs} ms`, true);
  }
  return new SinkError(`sink unreachable: ${error instanceof Error ? error.message : String(error)}`, true);
}

/**
 * undici rather than node:http: one delivery costs about half the CPU (measured by the bridge
 * benchmark), which on a small MEC node is the difference between meeting the rate or not.
 */
export function httpTransport(options: HttpTransportOptions): EventSink & { close(): Promise<void> } {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`K_SINK must be an http(s) URL, got ${options.url}`);
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pool = new Pool(url.origin, {
    connections: options.maxSockets ?? 16,
    pipelining: 1,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // TLS verification stays on; an extra CA only widens whom we trust.
    connect: { rejectUnauthorized: true, ...(options.ca === undefined ? {} : { ca: options.ca }) },
  });
  const path = `${url.pathname}${url.search}`;
  const overrideHeaders = Object.fromEntries(
    Object.entries(options.overrides ?? {}).map(([name, value]) => [`ce-${name}`, value]),
  );

  async function emit(event: CloudEvent<unknown>): Promise<void> {
    const message = binaryMessage(event);
    const headers = { ...message.headers, ...overrideHeaders };
    let response: Dispatcher.ResponseData;
    try {
      response = await pool.request({
        path,
        method: "POST",
        headers,
        body: message.body,
      });
    } catch (error) {
      throw failureOf(error, timeoutMs);
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      try {
        await response.body.dump();
      } catch (error) {
        throw new SinkError(`sink answer broke off: ${(error as Error).message}`, true);
      }
      return;
    }
    const answer = await readAnswer(response.body);
    const retryAfter = response.headers["retry-after"];
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now());
    throw new SinkError(`sink answered ${status}`, isRetryableStatus(status), status, answer, retryAfterMs);
  }

  return {
    emit,
    async close() {
      await pool.destroy();
    },
  };
}
