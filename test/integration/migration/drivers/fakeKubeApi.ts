/**
 * A Kubernetes API server stand-in on 127.0.0.1: the real paths of Deployments and Services
 * (`/apis/apps/v1/namespaces/{ns}/deployments/{name}`, `/api/v1/namespaces/{ns}/services/{name}`),
 * server-side apply PATCH, GET, DELETE, and Status objects for errors. Records every request.
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

type StoredObject = {
  metadata: Record<string, unknown> & { name: string; generation?: number };
  status?: Record<string, unknown>;
  [key: string]: unknown;
};

const ROUTE = /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/(deployments|services)(?:\/([^/]+))?$/;

function status(code: number, reason: string, message: string) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
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
  url = "";

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const [code, value] = this.answer(request, Buffer.concat(chunks).toString("utf8"));
        response.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(value));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  key(resource: "deployments" | "services", namespace: string, name: string): string {
    return `${resource}/${namespace}/${name}`;
  }

  /** What the Deployment controller does when the pod passes its readiness probe. */
  markReady(namespace: string, name: string): void {
    const deployment = this.objects.get(this.key("deployments", namespace, name));
    if (!deployment) throw new Error(`no deployment ${namespace}/${name}`);
    deployment.status = { observedGeneration: deployment.metadata.generation, replicas: 1, readyReplicas: 1 };
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
    if (!name) return reply(405, status(405, "MethodNotAllowed", "collection calls are not served here"));
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
      const applied = body as StoredObject;
      const generation = (existing?.metadata.generation ?? 0) + 1;
      const stored: StoredObject = {
        ...applied,
        metadata: {
          ...applied.metadata,
          uid: `uid-${name}`,
          generation,
          resourceVersion: String(this.requests.length),
        },
        status: existing?.status ?? {},
      };
      this.objects.set(key, stored);
      return reply(existing ? 200 : 201, stored);
    }
    if (method === "GET") {
      if (!existing) return notFound();
      if (this.terminating.has(key)) {
        const left = (this.terminating.get(key) ?? 0) - 1;
        if (left < 0) {
          this.objects.delete(key);
          this.terminating.delete(key);
          return notFound();
        }
        this.terminating.set(key, left);
      }
      return reply(200, existing);
    }
    if (method === "DELETE") {
      if (!existing) return notFound();
      existing.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
      if (resource === "deployments") this.terminating.set(key, this.terminatingReads);
      else this.objects.delete(key);
      return reply(200, existing);
    }
    return reply(405, status(405, "MethodNotAllowed", `${method} is not served here`));
  }
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
