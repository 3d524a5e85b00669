/**
 * The console's access to the manager API. When the API answers 401 the page asks for the token
 * (`askToken`), keeps it for the tab's session and sends it as a bearer header from then on.
 * The event stream is read with fetch for the same reason: EventSource cannot send a header, and
 * a token in the URL would end up in logs and history.
 */
import { SseParser } from "./sseParser.ts";

const TOKEN_KEY = "vvcu-api-token";

export type AskToken = (reason: string) => Promise<string>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  private token: string | undefined = sessionStorage.getItem(TOKEN_KEY) ?? undefined;

  constructor(private readonly askToken: AskToken) {}

  /** A request that asks for the token (again) while the API answers 401. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    for (;;) {
      const headers = new Headers(init.headers);
      if (this.token !== undefined) headers.set("Authorization", `Bearer ${this.token}`);
      const response = await fetch(path, { ...init, headers });
      if (response.status !== 401) return response;
      await response.body?.cancel();
      const reason = this.token === undefined ? "The API needs its token." : "The token was refused.";
      this.token = await this.askToken(reason);
      sessionStorage.setItem(TOKEN_KEY, this.token);
    }
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(path, init);
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: the text itself is the message
      }
      throw new ApiError(response.status, `${response.status}: ${message}`);
    }
    return JSON.parse(text) as T;
  }

  /** Reads the event stream until it ends or `signal` aborts; each event goes to `onEvent`. */
  async stream(
    path: string,
    onEvent: (event: string, data: unknown) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const response = await this.fetch(path, { headers: { Accept: "text/event-stream" }, signal });
    if (!response.ok || response.body === null) throw new ApiError(response.status, `${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const { event, data } of parser.push(value)) onEvent(event, JSON.parse(data));
    }
  }
}
