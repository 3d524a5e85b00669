/** Small HTTP helpers shared by the manager API and the migration function's control API. */
import type { IncomingMessage, ServerResponse } from "node:http";

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
}

export function send(res: ServerResponse, reply: Reply, headers: Record<string, string>): void {
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "Content-Type": reply.contentType ?? "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** The raw body: functions-framework keeps it as req.rawBody, node http streams it. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const raw = (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The request body parsed as JSON; an empty or broken body is a 400 naming what was expected. */
export async function readJson(req: IncomingMessage, expected: string): Promise<unknown> {
  const text = (await readBody(req)).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, `bad body: expected JSON like ${expected}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "bad body: not valid JSON");
  }
}
