/**
 * What a cluster does with the Deployments the kubernetes driver applies, in one place per MEC:
 * a pod process per Deployment (the image's entrypoint with the container's env), its readiness
 * probe turning the Deployment's readyReplicas to 1, SIGTERM on deletion (the object goes once
 * the process is gone, as foreground deletion waits for the pods), cluster DNS for the platform's
 * own Services, and an ingress reaching each twin Service at `http://<cluster address>:<port>/<namespace>/<service>`.
 *
 * Two differences from a cluster, both forced by one machine: a pod gets its own port instead of
 * its own IP (PORT is set to it), and the cluster-internal names of the platform's Services
 * (Redis, the Broker's ingress, Mosquitto) are resolved by rewriting them in the pod's env.
 */
import { appendFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "../helpers/servers.ts";
import { FakeKubeApi, type StoredObject } from "../integration/migration/drivers/fakeKubeApi.ts";
import { type AppProcess, type BuiltImage, startProcess } from "./image.ts";

interface Container {
  env?: { name: string; value?: string }[];
}

interface Pod {
  process: AppProcess;
  port: number;
  generation: number;
  labels: Record<string, string>;
  probe: NodeJS.Timeout;
}

/** Starts of one pod's container before it is left down (a CrashLoopBackOff, without the waits). */
const MAX_POD_STARTS = 5;

export interface KubeletOptions {
  /** The cluster's own address (127.0.0.x). */
  host: string;
  /** The image the pods run. */
  image: BuiltImage;
  logDir: string;
  /** Cluster-internal origin -> reachable origin, e.g. redis://vvcu-redis.default.svc.cluster.local:6379. */
  dns: Record<string, string>;
}

export class Cluster {
  readonly api: FakeKubeApi;
  readonly pods = new Map<string, Pod>();
  /** Every pod started, by Deployment, with its env: what the assertions read. */
  readonly started: { deployment: string; env: Record<string, string> }[] = [];
  private ingressServer: http.Server | undefined;
  ingressUrl = "";

  constructor(private readonly options: KubeletOptions) {
    this.api = new FakeKubeApi(options.host, {
      applied: (resource, namespace, object) => {
        if (resource === "deployments") void this.run(namespace, object);
      },
      deleting: async (resource, namespace, object) => {
        if (resource === "deployments") await this.kill(`${namespace}/${object.metadata.name}`);
      },
    });
  }

  async start(): Promise<void> {
    await this.api.start();
    this.ingressServer = http.createServer((request, response) => this.route(request, response));
    await new Promise<void>((resolve) => this.ingressServer?.listen(0, this.options.host, resolve));
    this.ingressUrl = `http://${this.options.host}:${(this.ingressServer.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pods.keys()].map((key) => this.kill(key)));
    this.ingressServer?.closeAllConnections();
    await new Promise((resolve) => this.ingressServer?.close(resolve));
    await this.api.stop();
  }

  /** A new or changed Deployment: (re)start its pod when its spec's generation moved on. */
  private async run(namespace: string, deployment: StoredObject): Promise<void> {
    const key = `${namespace}/${deployment.metadata.name}`;
    const generation = deployment.metadata.generation ?? 1;
    const existing = this.pods.get(key);
    if (existing && existing.generation === generation) return;
    if (existing) await this.kill(key);
    const template = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } })
      .template;
    const container = (template as unknown as { spec: { containers: Container[] } }).spec.containers[0];
    const env: Record<string, string> = {};
    for (const variable of container?.env ?? []) env[variable.name] = this.resolve(variable.value ?? "");
    await this.startPod(
      key,
      namespace,
      deployment.metadata.name,
      generation,
      template.metadata.labels,
      env,
      1,
    );
  }

  /**
   * Runs the pod's container; one that exits by itself is started again, as the kubelet restarts
   * a container, here on a new port (a port picked free may be taken before the process binds it).
   */
  private async startPod(
    key: string,
    namespace: string,
    name: string,
    generation: number,
    labels: Record<string, string>,
    containerEnv: Record<string, string>,
    attempt: number,
  ): Promise<void> {
    const port = await freePort();
    const env = { ...containerEnv, PORT: String(port) };
    this.started.push({ deployment: key, env });
    const process = startProcess(
      `pod-${this.options.host}-${name}-${generation}${attempt > 1 ? `-restart-${attempt - 1}` : ""}`,
      this.options.image,
      this.options.image.entrypoint,
      env,
      this.options.logDir,
    );
    const probe = setInterval(() => void this.probe(namespace, name, port), 200);
    const pod: Pod = { process, port, generation, labels, probe };
    this.pods.set(key, pod);
    void process.ended.then(async () => {
      if (this.pods.get(key) !== pod || attempt >= MAX_POD_STARTS) return;
      clearInterval(pod.probe);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (this.pods.get(key) === pod)
        await this.startPod(key, namespace, name, generation, labels, containerEnv, attempt + 1);
    });
  }

  /** The readiness probe of the chart (/ready); the first success is what the controller reports. */
  private async probe(namespace: string, name: string, port: number): Promise<void> {
    const pod = this.pods.get(`${namespace}/${name}`);
    if (!pod) return;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.status !== 200) return;
      clearInterval(pod.probe);
      this.api.markReady(namespace, name);
    } catch {
      // not listening yet
    }
  }

  private async kill(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    this.pods.delete(key);
    clearInterval(pod.probe);
    await pod.process.stop();
  }

  private resolve(value: string): string {
    for (const [internal, reachable] of Object.entries(this.options.dns)) {
      if (value === internal || value.startsWith(`${internal}/`))
        return reachable + value.slice(internal.length);
    }
    return value;
  }

  /** The pod port behind a Service: the pod whose labels its selector matches. */
  private backend(namespace: string, service: string): number | undefined {
    const object = this.api.objects.get(this.api.key("services", namespace, service));
    const selector = (object?.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (selector === undefined) return undefined;
    for (const [key, pod] of this.pods) {
      if (!key.startsWith(`${namespace}/`)) continue;
      if (Object.entries(selector).every(([label, value]) => pod.labels[label] === value)) return pod.port;
    }
    return undefined;
  }

  private route(request: http.IncomingMessage, response: http.ServerResponse): void {
    const [, namespace = "", service = "", ...rest] = (request.url ?? "/").split("/");
    const port = this.backend(namespace, service);
    const file = `${this.options.logDir}/ingress-${this.options.host}.log`;
    response.on("finish", () =>
      appendFileSync(
        file,
        `${new Date().toISOString()} ${request.method} ${request.url} -> ${port} ${response.statusCode}\n`,
      ),
    );
    if (port === undefined) {
      response
        .writeHead(503, { "content-type": "text/plain" })
        .end(`no endpoints for ${namespace}/${service}`);
      return;
    }
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port,
        method: request.method,
        path: `/${rest.join("/")}`,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
    request.pipe(upstream);
  }
}
