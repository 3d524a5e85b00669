/**
 * One MEC's platform as charts/vvcu-mec deploys it, on its own loopback address: a Redis, the
 * Broker with the repository's Triggers, the functions twin, geofence, migration, proxy and manager
 * each as its own process from the compiled image, the bridge (the ContainerSource's command)
 * reading the shared Mosquitto with the home filter fed by this cluster's twin Deployments,
 * and this cluster's Kubernetes API running the twin CNF pods.
 */
import path from "node:path";
import { TWIN_CNF_DEFAULTS } from "../../functions/lib/migration/drivers/kubernetesObjects.ts";
import { freePort, type RunningServer, startRedis, waitForPort } from "../helpers/servers.ts";
import {
  type AppProcess,
  type BuiltImage,
  bridgeCommand,
  repoRoot,
  startFunction,
  startProcess,
} from "./image.ts";
import { KnativeBroker, readBrokerDelivery, readTriggers } from "./knativeBroker.ts";
import { Cluster } from "./kubelet.ts";

export const FUNCTIONS = ["twin", "geofence", "migration", "proxy", "manager"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];
/** Where the chart puts the twin CNFs (the topology's kubernetes.namespace). */
export const TWIN_NAMESPACE = "vvcu-twins";

export interface MecOptions {
  id: string;
  host: string;
  image: BuiltImage;
  dir: string;
  mqttUrl: string;
  /** Settings of the whole system: topology, kubeconfig, OSM, timings. */
  env: Record<string, string>;
}

export class Mec {
  readonly cluster: Cluster;
  readonly broker: KnativeBroker;
  redis!: RunningServer;
  readonly ports = new Map<FunctionName, number>();
  readonly metricsPorts = new Map<FunctionName, number>();
  bridgePort = 0;
  private readonly processes: AppProcess[] = [];

  constructor(
    readonly options: MecOptions,
    /** Filled once the Broker's and Redis's addresses are known (the cluster DNS of the twin pods). */
    private readonly dns: Record<string, string> = {},
  ) {
    this.cluster = new Cluster({
      host: options.host,
      image: options.image,
      logDir: options.dir,
      dns: this.dns,
    });
    const knative = path.join(repoRoot, "knative");
    this.broker = new KnativeBroker({
      name: "vvcu",
      host: options.host,
      triggers: readTriggers(path.join(knative, "triggers.yaml")),
      delivery: readBrokerDelivery(path.join(knative, "broker.yaml"), "vvcu"),
      // A Knative Service `vvcu-<function>` is addressable at its route; here, its process.
      resolve: (ref) => {
        const port = this.ports.get(ref.name.replace(/^vvcu-/, "") as FunctionName);
        return port === undefined ? undefined : `http://${options.host}:${port}/`;
      },
    });
  }

  get id(): string {
    return this.options.id;
  }

  url(name: FunctionName): string {
    return `http://${this.options.host}:${this.ports.get(name)}`;
  }

  metricsUrl(name: FunctionName | "bridge"): string {
    const port = name === "bridge" ? this.bridgePort : this.metricsPorts.get(name);
    return `http://${this.options.host}:${port}/metrics`;
  }

  /** The platform before the functions: cluster API, Redis, Broker. */
  async startInfrastructure(): Promise<void> {
    await this.cluster.start();
    this.redis = await startRedis(this.options.host);
    await this.broker.start();
    for (const name of FUNCTIONS) {
      this.ports.set(name, await freePort());
      if (name !== "manager") this.metricsPorts.set(name, await freePort());
    }
    this.bridgePort = await freePort();
    // URL.origin is "null" for redis: and mqtt:, so the scheme and host are put together here.
    const origin = (url: string) => `${new URL(url).protocol}//${new URL(url).host}`;
    Object.assign(this.dns, {
      [origin(TWIN_CNF_DEFAULTS.redisUrl)]: this.redis.url,
      [origin(TWIN_CNF_DEFAULTS.sinkUrl)]: origin(this.broker.url),
      [origin(TWIN_CNF_DEFAULTS.mqttUrl)]: this.options.mqttUrl,
    });
  }

  /**
   * The functions' REDIS_URL and K_SINK are, in a cluster, short Service names that resolve in the
   * cluster a pod runs in; here they are addresses, so a twin pod placed here by another MEC's
   * migration function with that MEC's addresses reaches this cluster's Redis and Broker.
   */
  resolveAsOwn(other: Mec): void {
    this.dns[other.redis.url] = this.redis.url;
    this.dns[new URL(other.broker.url).origin] = new URL(this.broker.url).origin;
  }

  async startFunctions(): Promise<void> {
    const { id, host, image, dir, env } = this.options;
    const common = { ...env, VVCU_MEC_ID: id, K_SINK: this.broker.url, LOG_LEVEL: "info" };
    const perFunction: Record<FunctionName, Record<string, string>> = {
      twin: { REDIS_URL: this.redis.url },
      geofence: {},
      migration: {
        REDIS_URL: this.redis.url,
        VVCU_MIGRATION_JOURNAL: path.join(dir, `${id}-migrations.jsonl`),
      },
      proxy: { VVCU_DASHBOARD_MQTT_URL: this.options.mqttUrl },
      manager: { REDIS_URL: this.redis.url, VVCU_MIGRATION_URL: this.url("migration") },
    };
    for (const name of FUNCTIONS) {
      const metrics = this.metricsPorts.get(name);
      this.processes.push(
        startFunction(
          `${id}-${name}`,
          image,
          name,
          this.ports.get(name) as number,
          { ...common, ...perFunction[name], ...(metrics ? { VVCU_METRICS_PORT: String(metrics) } : {}) },
          dir,
        ),
      );
    }
    this.processes.push(
      startProcess(
        `${id}-bridge`,
        image,
        bridgeCommand(),
        {
          ...common,
          MQTT_URL: this.options.mqttUrl,
          VVCU_BRIDGE_PORT: String(this.bridgePort),
          VVCU_BRIDGE_FILTER: "placement",
          POD_NAMESPACE: TWIN_NAMESPACE,
        },
        dir,
      ),
    );
    const listening: [AppProcess, number][] = this.processes.map((p, index) => [
      p,
      index < FUNCTIONS.length
        ? (this.ports.get(FUNCTIONS[index] as FunctionName) as number)
        : this.bridgePort,
    ]);
    for (const [process, port] of listening) {
      try {
        await waitForPort(port, 120_000, host);
      } catch (error) {
        throw new Error(`${process.name}: ${(error as Error).message}\n${process.output()}`);
      }
    }
  }

  /** The tails of every process's output, for a failure's message. */
  output(): string {
    return this.processes
      .filter((p) => p.exited())
      .map((p) => `--- ${p.name} (exited)\n${p.output()}`)
      .join("\n");
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    await this.cluster.stop();
    await this.broker.stop();
    await this.redis?.dispose();
  }
}
