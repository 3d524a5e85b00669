/**
 * The small HTTP server kit every vvcu endpoint uses: the manager API, the migration function's
 * control API, the twin CNF's host API, the bridge's and the functions' /metrics listeners.
 * Errors are `HttpError`s answered as `{error: message}`; bodies are bounded.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";

export const MAX_BODY_BYTES = 64 * 1024;

/** An answer with a status and a message: becomes `{error: message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Takes the response over instead of `body` (a stream). */
  stream?: (res: ServerResponse) => void;
}

export function send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "Content-Type": reply.contentType ?? "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...reply.headers,
    ...headers,
  });
  res.end(text);
}

/** One path of an HTTP API: the handler answers or throws an HttpError. */
export interface Route {
  name: string;
  method: "GET" | "POST";
  pattern: RegExp;
  handle: (match: string[], req: IncomingMessage, url: URL) => Promise<Reply>;
}

/** The raw body: functions-framework keeps it as req.rawBody, node http streams it. */
export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  const raw = (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
  if (Buffer.isBuffer(raw)) {
    if (raw.length > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
    return raw;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request body parsed as JSON; an empty or broken body is a 400 naming what was expected. */
export async function readJson(
  req: IncomingMessage,
  expected: string,
  maxBytes = MAX_BODY_BYTES,
): Promise<unknown> {
  const text = (await readBody(req, maxBytes)).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, `bad body: expected JSON like ${expected}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "bad body: not valid JSON");
  }
}

/** Answers an error: an HttpError with its status, anything else as a 500 with its message. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof HttpError)
    send(res, { status: error.status, body: { error: error.message } }, error.headers);
  else
    send(res, { status: 500, body: { error: error instanceof Error ? error.message : String(error) } }, {});
}

/** GET /metrics: the registry in Prometheus' text format. */
export async function metricsReply(registry: Registry): Promise<Reply> {
  return { status: 200, body: await registry.metrics(), contentType: registry.contentType };
}
