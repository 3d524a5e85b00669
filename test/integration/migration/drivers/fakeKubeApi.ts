/**
 * A Kubernetes API server stand-in (127.0.0.1 unless told): the real paths of Deployments and
 * Services (`/apis/apps/v1/namespaces/{ns}/deployments/{name}`, `/api/v1/namespaces/{ns}/services/{name}`),
 * server-side apply PATCH, GET, DELETE, list and watch of a namespace's objects by label
 * (newline-delimited watch events from a resourceVersion), and Status objects for errors.
 * Records every request.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

export type StoredObject = {
  metadata: Record<string, unknown> & { name: string; generation?: number };
  status?: Record<string, unknown>;
  [key: string]: unknown;
};

const ROUTE = /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(deployments|services)(?:\/([^/]+))?$/;

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

type WatchEvent = { type: "ADDED" | "MODIFIED" | "DELETED"; key: string; object: StoredObject };

/** What a cluster does with the objects: starts and stops their pods (see test/cluster). */
export interface KubeApiHooks {
  applied?(resource: "deployments" | "services", namespace: string, object: StoredObject): void;
  /** Foreground deletion: the object stays (terminating) until this settles. */
  deleting?(resource: "deployments" | "services", namespace: string, object: StoredObject): Promise<void>;
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, StoredObject>();
  /** Answers the next request matching method and resource with this status instead. */
  readonly failures: { method: string; resource: string; code: number; reason: string; message: string }[] =
    [];
  /** GETs a deleted Deployment still answers before it is gone (foreground deletion). */
  terminatingReads = 1;
  private readonly terminating = new Map<string, number>();
  private server: http.Server | undefined;
  private revision = 0;
  private readonly history: (WatchEvent & { revision: number })[] = [];
  private readonly watchers = new Set<(event: WatchEvent & { revision: number }) => void>();
  url = "";

  constructor(
    private readonly host = "127.0.0.1",
    private readonly hooks: KubeApiHooks = {},
  ) {}

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (this.watchRequest(request, response)) return;
        const [code, value] = this.answer(request, text);
        response.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(value));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, this.host, resolve));
    this.url = `http://${this.host}:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Stores a change, with the next resourceVersion, and tells the watches. */
  private record(type: WatchEvent["type"], key: string, object: StoredObject): void {
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    const event = { type, key, object: structuredClone(object), revision: this.revision };
    this.history.push(event);
    for (const watcher of this.watchers) watcher(event);
  }

  /** `GET .../deployments?watch=true`: the changes after resourceVersion, then each as it comes. */
  private watchRequest(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const url = new URL(request.url ?? "/", this.url);
    const match = ROUTE.exec(url.pathname);
    if (request.method !== "GET" || url.searchParams.get("watch") !== "true" || !match || match[3])
      return false;
    const prefix = `${match[2]}/${match[1]}/`;
    const selected = selector(url.searchParams.get("labelSelector"));
    const since = Number(url.searchParams.get("resourceVersion") ?? "0");
    response.writeHead(200, { "content-type": "application/json" }).flushHeaders();
    const send = (event: WatchEvent & { revision: number }) => {
      if (event.revision <= since || !event.key.startsWith(prefix) || !selected(event.object)) return;
      response.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    };
    for (const event of this.history) send(event);
    this.watchers.add(send);
    response.on("close", () => this.watchers.delete(send));
    return true;
  }

  key(resource: "deployments" | "services", namespace: string, name: string): string {
    return `${resource}/${namespace}/${name}`;
  }

  /** Server-side apply of a whole object (the API's PATCH, and what an OSM KDU install does). */
  apply(resource: "deployments" | "services", namespace: string, applied: StoredObject): StoredObject {
    const key = this.key(resource, namespace, applied.metadata.name);
    const existing = this.objects.get(key);
    const generation = (existing?.metadata.generation ?? 0) + 1;
    const stored: StoredObject = {
      ...applied,
      metadata: { ...applied.metadata, namespace, uid: `uid-${applied.metadata.name}`, generation },
      status: existing?.status ?? {},
    };
    this.objects.set(key, stored);
    this.record(existing ? "MODIFIED" : "ADDED", key, stored);
    this.hooks.applied?.(resource, namespace, stored);
    return stored;
  }

  /** Foreground deletion: marks the object terminating; settles when it is gone. */
  async remove(resource: "deployments" | "services", namespace: string, name: string): Promise<void> {
    const key = this.key(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing || existing.metadata.deletionTimestamp !== undefined) return;
    existing.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    this.record("MODIFIED", key, existing);
    const gone = () => {
      if (this.objects.get(key) !== existing) return;
      this.objects.delete(key);
      this.record("DELETED", key, existing);
    };
    if (this.hooks.deleting) await this.hooks.deleting(resource, namespace, existing).finally(gone);
    else if (resource === "deployments") this.terminating.set(key, this.terminatingReads);
    else gone();
  }

  /** What the Deployment controller does when the pod passes its readiness probe. */
  markReady(namespace: string, name: string): void {
    const deployment = this.objects.get(this.key("deployments", namespace, name));
    if (!deployment) throw new Error(`no deployment ${namespace}/${name}`);
    deployment.status = { observedGeneration: deployment.metadata.generation, replicas: 1, readyReplicas: 1 };
    this.record("MODIFIED", this.key("deployments", namespace, name), deployment);
  }

  setStatus(namespace: string, name: string, value: Record<string, unknown>): void {
    const deployment = this.objects.get(this.key("deployments", namespace, name));
    if (!deployment) throw new Error(`no deployment ${namespace}/${name}`);
    deployment.status = value;
  }

  private answer(request: http.IncomingMessage, text: string): [number, unknown] {
    const url = new URL(request.url ?? "/", this.url);
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const method = request.method ?? "GET";
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers["content-type"],
      authorization: request.headers.authorization,
      body,
    });
    const reply = (code: number, value: unknown): [number, unknown] => [code, value];
    const match = ROUTE.exec(url.pathname);
    if (!match?.[1] || !match[2])
      return reply(404, status(404, "NotFound", "the server could not find the requested resource"));
    const [, namespace, resource, name] = match as unknown as [
      string,
      string,
      "deployments" | "services",
      string?,
    ];
    const failure = this.failures.findIndex((f) => f.method === method && f.resource === resource);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      if (f) return reply(f.code, status(f.code, f.reason, f.message));
    }
    if (!name) {
      if (method !== "GET") return reply(405, status(405, "MethodNotAllowed", "only list is served here"));
      const selected = selector(url.searchParams.get("labelSelector"));
      const prefix = `${resource}/${namespace}/`;
      const items = [...this.objects].filter(([key, o]) => key.startsWith(prefix) && selected(o));
      return reply(200, {
        kind: resource === "deployments" ? "DeploymentList" : "ServiceList",
        apiVersion: resource === "deployments" ? "apps/v1" : "v1",
        metadata: { resourceVersion: String(this.revision) },
        items: items.map(([, o]) => o),
      });
    }
    const key = this.key(resource, namespace, name);
    const existing = this.objects.get(key);
    const kind = resource === "deployments" ? "deployments.apps" : "services";
    const notFound = () => reply(404, status(404, "NotFound", `${kind} "${name}" not found`));

    if (method === "PATCH") {
      if (request.headers["content-type"] !== "application/apply-patch+yaml") {
        return reply(415, status(415, "UnsupportedMediaType", "only server-side apply is served here"));
      }
      if (!url.searchParams.get("fieldManager")) {
        return reply(422, status(422, "Invalid", "fieldManager is required for apply requests"));
      }
      return reply(existing ? 200 : 201, this.apply(resource, namespace, body as StoredObject));
    }
    if (method === "GET") {
      if (!existing) return notFound();
      if (this.terminating.has(key)) {
        const left = (this.terminating.get(key) ?? 0) - 1;
        if (left < 0) {
          this.terminating.delete(key);
          this.objects.delete(key);
          this.record("DELETED", key, existing);
          return notFound();
        }
        this.terminating.set(key, left);
      }
      return reply(200, existing);
    }
    if (method === "DELETE") {
      if (!existing) return notFound();
      void this.remove(resource, namespace, name);
      return reply(200, existing);
    }
    return reply(405, status(405, "MethodNotAllowed", `${method} is not served here`));
  }
}

/** An equality-based label selector (`a=b,c=d`), the kind the bridge's informer sends. */
function selector(text: string | null): (object: StoredObject) => boolean {
  const wanted = (text ?? "")
    .split(",")
    .filter((term) => term !== "")
    .map((term) => term.split("=") as [string, string]);
  return (object) => {
    const labels = (object.metadata.labels ?? {}) as Record<string, string>;
    return wanted.every(([key, value]) => labels[key] === value);
  };
}

/**
 * A kubeconfig with one context per fake cluster, using a bearer token. The fake serves plain
 * HTTP on 127.0.0.1, which client-node only accepts with skip-TLS-verify; real clusters use TLS.
 */
export function kubeconfigFor(clusters: Record<string, string>): string {
  const names = Object.keys(clusters);
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: names.map((name) => ({
      name,
      cluster: { server: clusters[name], "insecure-skip-tls-verify": true },
    })),
    users: [{ name: "vvcu", user: { token: "test-token" } }],
    contexts: names.map((name) => ({ name: `kind-${name}`, context: { cluster: name, user: "vvcu" } })),
    "current-context": `kind-${names[0]}`,
  });
}
