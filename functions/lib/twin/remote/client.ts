/**
 * TwinHostApi over HTTP: the twin CNF serves it (server.ts), and the migration
 * drivers call it with RemoteTwinHost. Paths, in one place so both sides agree.
 */
import axios, { type AxiosInstance, isAxiosError } from "axios";
import { type TwinDeployment, TwinDeploymentSchema } from "../../model/driver.ts";
import { type TwinSnapshot, TwinSnapshotSchema, type TwinStatus } from "../../model/twin.ts";
import type { TwinHostApi } from "./host.ts";

export const TWIN_HOST_PATHS = {
  health: "/health",
  /** The CNF's own twin: 200 when hydrated and applying events, 503 before. */
  ready: "/ready",
  twinReady: (twin: string) => `/twins/${encodeURIComponent(twin)}/ready`,
  snapshot: (twin: string) => `/twins/${encodeURIComponent(twin)}/snapshot`,
  expect: (twin: string) => `/twins/${encodeURIComponent(twin)}/expect`,
  status: (twin: string) => `/twins/${encodeURIComponent(twin)}/status`,
  /** The deployment (driver ref) of a twin CNF's own twin, as the driver that deployed it recorded it. */
  deployment: (twin: string) => `/twins/${encodeURIComponent(twin)}/deployment`,
  twin: (twin: string) => `/twins/${encodeURIComponent(twin)}`,
  hydrate: "/twins/hydrate",
} as const;

/**
 * A twin CNF's URL for one of TWIN_HOST_PATHS: the path goes under the base URL's own path,
 * so a twin CNF behind an ingress path (https://mec-a.example.org/{name}) is still reached.
 */
export function twinHostUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

export interface RemoteTwinHostOptions {
  /** Base URL of the twin host, e.g. http://vvcu-twin-42.vvcu.svc.cluster.local:8080 */
  baseUrl: string;
  timeoutMs?: number;
  /** Bearer token for the mutating calls, when the server requires one. */
  token?: string;
}

export class RemoteTwinHostError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "RemoteTwinHostError";
  }
}

/** A TwinHostApi whose twins live behind an HTTP endpoint. */
export class RemoteTwinHost implements TwinHostApi {
  private readonly http: AxiosInstance;

  constructor(
    readonly mec: string,
    options: RemoteTwinHostOptions,
  ) {
    this.http = axios.create({
      baseURL: options.baseUrl,
      timeout: options.timeoutMs ?? 5_000,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      // Every status is an answer here; call() decides what each one means.
      validateStatus: () => true,
    });
  }

  async expect(twinId: string): Promise<void> {
    await this.call("POST", TWIN_HOST_PATHS.expect(twinId), [204]);
  }

  async hydrate(snapshot: TwinSnapshot): Promise<void> {
    await this.call("POST", TWIN_HOST_PATHS.hydrate, [204], snapshot);
  }

  async isReady(twinId: string): Promise<boolean> {
    const status = await this.call("GET", TWIN_HOST_PATHS.twinReady(twinId), [200, 503]);
    return status.status === 200;
  }

  async snapshot(twinId: string): Promise<TwinSnapshot | undefined> {
    const answer = await this.call("GET", TWIN_HOST_PATHS.snapshot(twinId), [200, 404]);
    if (answer.status === 404) return undefined;
    const parsed = TwinSnapshotSchema.safeParse(answer.data);
    if (!parsed.success) {
      throw new RemoteTwinHostError(
        `${this.mec}: snapshot of ${twinId} is malformed: ${parsed.error.message}`,
        200,
      );
    }
    return parsed.data;
  }

  async setStatus(twinId: string, status: TwinStatus): Promise<void> {
    await this.call("POST", TWIN_HOST_PATHS.status(twinId), [204], { status });
  }

  async release(twinId: string): Promise<void> {
    await this.call("DELETE", TWIN_HOST_PATHS.twin(twinId), [204, 404]);
  }

  /** Records, at the twin CNF hosting it, the deployment a driver made of its twin. */
  async recordDeployment(deployment: TwinDeployment): Promise<void> {
    await this.call("PUT", TWIN_HOST_PATHS.deployment(deployment.twin), [204], deployment);
  }

  /**
   * The deployment of a twin living at this host, as recorded there (`{}` when the host has the
   * twin ready but no record); undefined when the twin does not live there.
   */
  async deploymentOf(twinId: string): Promise<Partial<TwinDeployment> | undefined> {
    const answer = await this.call("GET", TWIN_HOST_PATHS.deployment(twinId), [200, 404]);
    if (answer.status === 404) return undefined;
    const parsed = TwinDeploymentSchema.partial().safeParse(answer.data);
    if (!parsed.success)
      throw new RemoteTwinHostError(`${this.mec}: deployment of ${twinId} is malformed`, answer.status);
    return parsed.data;
  }

  private async call(method: string, url: string, expected: number[], data?: unknown) {
    let answer: { status: number; data: unknown };
    try {
      answer = await this.http.request({ method, url, data });
    } catch (error) {
      const reason = isAxiosError(error) ? (error.code ?? error.message) : String(error);
      throw new RemoteTwinHostError(`${this.mec}: ${method} ${url} failed: ${reason}`, undefined);
    }
    if (!expected.includes(answer.status)) {
      const message = (answer.data as { error?: unknown } | undefined)?.error;
      throw new RemoteTwinHostError(
        `${this.mec}: ${method} ${url} answered ${answer.status}${typeof message === "string" ? `: ${message}` : ""}`,
        answer.status,
      );
    }
    return answer;
  }
}

/**
 * Asks a twin CNF's own `/ready` once: true on 200; false while it starts, hydrates, or
 * cannot be reached yet (its Service has no ready endpoint until the probe passes).
 */
export async function isTwinCnfReady(
  baseUrl: string,
  signal: AbortSignal,
  timeoutMs = 2_000,
): Promise<boolean> {
  try {
    const answer = await axios.get(twinHostUrl(baseUrl, TWIN_HOST_PATHS.ready), {
      timeout: timeoutMs,
      signal,
      validateStatus: () => true,
    });
    return answer.status === 200;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (isAxiosError(error)) return false;
    throw error;
  }
}
