/**
 * Delivery to K_SINK over HTTP in CloudEvents binary content mode, with keep-alive connections
 * (one per concurrent delivery) and Knative's K_CE_OVERRIDES applied.
 */
import http from "node:http";
import https from "node:https";
import { type CloudEvent, HTTP } from "cloudevents";
import { parseRetryAfter } from "./backoff.ts";
import { type Delivery, DeliveryError, isRetryableStatus } from "./delivery.ts";

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

export interface HttpDeliveryOptions {
  /** K_SINK. */
  url: string;
  overrides?: Record<string, string>;
  /** Sockets kept open to the sink; match the bridge's delivery concurrency. */
  maxSockets?: number;
  /** Longest silence on the connection (connecting, sending, or waiting for the answer). */
  timeoutMs?: number;
  /** Extra CA for an https sink; verification stays on. */
  ca?: string | Buffer;
}

function readAnswer(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      if (size < ANSWER_CAP_BYTES) chunks.push(chunk);
      size += chunk.length;
    });
    response.on("end", () => resolve(Buffer.concat(chunks).subarray(0, ANSWER_CAP_BYTES).toString("utf8")));
    response.on("error", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

export function httpDelivery(options: HttpDeliveryOptions): Delivery & { close(): Promise<void> } {
  const url = new URL(options.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`K_SINK must be an http(s) URL, got ${options.url}`);
  }
  const secure = url.protocol === "https:";
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 16,
    maxFreeSockets: options.maxSockets ?? 16,
  };
  const agent = secure
    ? new https.Agent({ ...agentOptions, ...(options.ca === undefined ? {} : { ca: options.ca }) })
    : new http.Agent(agentOptions);
  const request = secure ? https.request : http.request;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const overrideHeaders = Object.fromEntries(
    Object.entries(options.overrides ?? {}).map(([name, value]) => [`ce-${name}`, value]),
  );

  function deliver(event: CloudEvent<unknown>): Promise<void> {
    const message = HTTP.binary(event);
    const body = message.body as string | Uint8Array | undefined;
    const headers: Record<string, string | number> = {
      ...(message.headers as Record<string, string>),
      ...overrideHeaders,
    };
    if (body !== undefined) headers["content-length"] = Buffer.byteLength(body);
    return new Promise<void>((resolve, reject) => {
      const outgoing = request(url, { method: "POST", agent, headers, timeout: timeoutMs }, (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          response.resume();
          response.on("end", resolve);
          response.on("error", (error) =>
            reject(new DeliveryError(`sink answer broke off: ${error.message}`, true)),
          );
          return;
        }
        readAnswer(response).then((answer) => {
          const retryAfterMs = parseRetryAfter(response.headers["retry-after"], Date.now());
          reject(
            new DeliveryError(
              `sink answered ${status}`,
              isRetryableStatus(status),
              status,
              answer,
              retryAfterMs,
            ),
          );
        });
      });
      outgoing.on("timeout", () =>
        outgoing.destroy(new Error(`no answer from the sink within ${timeoutMs} ms`)),
      );
      outgoing.on("error", (error) => reject(new DeliveryError(`sink unreachable: ${error.message}`, true)));
      outgoing.end(body);
    });
  }

  return {
    deliver,
    async close() {
      agent.destroy();
    },
  };
}
