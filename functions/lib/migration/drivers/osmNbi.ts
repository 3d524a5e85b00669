/**
 * A small client of OSM's northbound interface (NBI): bearer tokens from
 * `/osm/admin/v1/tokens` (renewed before they expire, and once more on a 401), TLS
 * verification always on with an optional CA, a timeout on every call, and errors that
 * carry the NBI's own `status`, `code` and `detail`.
 */
import https from "node:https";
import axios, { type AxiosInstance, isAxiosError } from "axios";
import { componentLogger } from "../../log.ts";
import { bounded, timedOrchestratorCall } from "../../runtime/timing.ts";

const log = componentLogger("osm-nbi");

export interface NbiCredentials {
  username: string;
  password: string;
  project: string;
}

export interface NbiClientOptions extends NbiCredentials {
  /** e.g. https://osm.example.org:9999 (the NBI's base, without /osm). */
  url: string;
  /** PEM of the CA that signed the NBI's certificate, when it is not a public one. */
  ca?: string;
  timeoutMs?: number;
}

export interface NbiRequest {
  /** Names the call in errors and in vvcu_orchestrator_call_duration_seconds. */
  operation: string;
  method: "GET" | "POST" | "DELETE";
  path: string;
  data?: unknown;
  params?: Record<string, string>;
  /** Statuses that are answers, not errors (default: 200, 201, 202, 204). */
  expect?: number[];
  signal: AbortSignal;
}

/** An NBI answer other than the expected ones, or no answer at all (status undefined). */
export class OsmNbiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly detail: string | undefined,
  ) {
    super(message);
    this.name = "OsmNbiError";
  }
}

interface Token {
  id: string;
  expiresAtMs: number;
}

/** Renew a token this long before OSM says it expires. */
const TOKEN_MARGIN_MS = 30_000;

function describeBody(body: unknown): { code?: string; detail?: string } {
  if (body === null || typeof body !== "object") {
    return typeof body === "string" && body ? { detail: body.slice(0, 300) } : {};
  }
  const { code, detail } = body as { code?: unknown; detail?: unknown };
  return {
    code: typeof code === "string" ? code : undefined,
    detail: typeof detail === "string" ? detail : undefined,
  };
}

export class NbiClient {
  private readonly http: AxiosInstance;
  private token: Token | undefined;
  private tokenRequest: Promise<Token> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: NbiClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    const base = new URL(options.url);
    if (base.protocol === "http:")
      log.warn({ url: options.url }, "OSM NBI over plain HTTP: credentials travel unencrypted");
    this.http = axios.create({
      baseURL: options.url,
      timeout: this.timeoutMs,
      headers: { accept: "application/json", "content-type": "application/json" },
      httpsAgent: new https.Agent({
        keepAlive: true,
        rejectUnauthorized: true,
        ...(options.ca ? { ca: options.ca } : {}),
      }),
      // Every status is an answer here; request() decides what each one means.
      validateStatus: () => true,
    });
  }

  /** One NBI call with a token; on 401 the token is renewed and the call made once more. */
  async request<T = unknown>(call: NbiRequest): Promise<{ status: number; data: T }> {
    const expected = call.expect ?? [200, 201, 202, 204];
    return timedOrchestratorCall("osm", call.operation, async () => {
      let answer = await this.send(call, await this.currentToken(call.signal));
      if (answer.status === 401) {
        log.info({ operation: call.operation }, "OSM token refused; authenticating again");
        this.token = undefined;
        answer = await this.send(call, await this.currentToken(call.signal));
      }
      if (!expected.includes(answer.status)) throw this.error(call, answer.status, answer.data);
      return answer as { status: number; data: T };
    });
  }

  private async send(call: NbiRequest, token: Token) {
    return this.exchange(call, {
      method: call.method,
      url: call.path,
      data: call.data,
      params: call.params,
      headers: { authorization: `Bearer ${token.id}` },
    });
  }

  private async exchange(
    call: Pick<NbiRequest, "operation" | "method" | "path" | "signal">,
    config: Parameters<AxiosInstance["request"]>[0],
  ): Promise<{ status: number; data: unknown }> {
    try {
      return await bounded(`OSM ${call.operation}`, this.timeoutMs, call.signal, (signal) =>
        this.http.request({ ...config, signal }),
      );
    } catch (error) {
      const reason = isAxiosError(error)
        ? (error.code ?? error.message)
        : error instanceof Error
          ? error.message
          : String(error);
      throw new OsmNbiError(
        `OSM ${call.operation} (${call.method} ${call.path}) failed: ${reason}`,
        undefined,
        undefined,
      );
    }
  }

  private error(call: NbiRequest, status: number, body: unknown): OsmNbiError {
    const { code, detail } = describeBody(body);
    const what = [code, detail].filter(Boolean).join(": ");
    return new OsmNbiError(
      `OSM ${call.operation} (${call.method} ${call.path}) answered ${status}${what ? ` ${what}` : ""}`,
      status,
      detail,
    );
  }

  private async currentToken(signal: AbortSignal): Promise<Token> {
    if (this.token && this.token.expiresAtMs - TOKEN_MARGIN_MS > Date.now()) return this.token;
    // Concurrent migrations share one authentication.
    this.tokenRequest ??= this.authenticate(signal).finally(() => {
      this.tokenRequest = undefined;
    });
    this.token = await this.tokenRequest;
    return this.token;
  }

  private async authenticate(signal: AbortSignal): Promise<Token> {
    const call = { operation: "authenticate", method: "POST", path: "/osm/admin/v1/tokens", signal } as const;
    const { username, password, project } = this.options;
    const answer = await timedOrchestratorCall("osm", call.operation, () =>
      this.exchange(call, {
        method: "POST",
        url: call.path,
        data: { username, password, project_id: project },
      }),
    );
    if (answer.status !== 200 && answer.status !== 201) throw this.error(call, answer.status, answer.data);
    const { id, _id, expires } = (answer.data ?? {}) as { id?: unknown; _id?: unknown; expires?: unknown };
    const tokenId = typeof id === "string" ? id : typeof _id === "string" ? _id : undefined;
    if (tokenId === undefined)
      throw new OsmNbiError("OSM authenticate: the answer has no token id", answer.status, undefined);
    // OSM gives `expires` in seconds since the epoch; without it, assume a short life.
    const expiresAtMs = typeof expires === "number" ? expires * 1000 : Date.now() + 60_000;
    return { id: tokenId, expiresAtMs };
  }
}
