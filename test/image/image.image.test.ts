/**
 * The image, built without Docker from exactly the files the Dockerfile copies (build.ts), serves
 * every FUNCTION_TARGET with its ENTRYPOINT and runs the bridge with knative/bridge.yaml's command:
 * each process started from the built /app alone, with a real Redis and Mosquitto, a CloudEvent
 * (or what the component takes) in, the expected answer or effect out. `npm run test:image`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { type CloudEventV1, HTTP } from "cloudevents";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { citsEventType, ownCloudEvent } from "../../functions/lib/events.ts";
import { httpTransport } from "../../functions/lib/runtime/emit/httpTransport.ts";
import { isTwinCnfReady, RemoteTwinHost } from "../../functions/lib/twin/remote/client.ts";
import { connect, eventually, publishCam } from "../e2e/harness.ts";
import { freePort, type RunningServer, startMosquitto, startRedis, waitForPort } from "../helpers/servers.ts";
import { citsEvent } from "../unit/twin/events.ts";
import { cam } from "../unit/twin/messages.ts";
import { snapshotOf } from "../unit/twin/remote/fixtures.ts";
import { type BuiltImage, buildImage } from "./build.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const IN_MEC_B = { lat: 40.636, lon: -8.646 };

let workDir: string;
let image: BuiltImage;
let redis: RunningServer;
let mosquitto: RunningServer;
let sink: { url: string; events: CloudEventV1<unknown>[]; close(): Promise<void> };
const processes: ChildProcess[] = [];
const outputs = new Map<string, string>();

/** A K_SINK that keeps every CloudEvent posted to it. */
async function startSink(): Promise<typeof sink> {
  const events: CloudEventV1<unknown>[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const event = HTTP.toEvent({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      events.push(...(Array.isArray(event) ? event : [event]));
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Starts `command` in the built /app with the image's ENV and only `env` besides (and PATH). */
async function startInImage(name: string, command: string[], env: Record<string, string>, port: number) {
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: image.appDir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: workDir, ...image.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  processes.push(child);
  outputs.set(name, "");
  const keep = (chunk: Buffer) => outputs.set(name, `${outputs.get(name)}${chunk}`.slice(-5_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  try {
    await waitForPort(port, 20_000);
  } catch (error) {
    throw new Error(`${name} did not listen on ${port}: ${(error as Error).message}\n${outputs.get(name)}`);
  }
  return `http://127.0.0.1:${port}`;
}

/** A function as the image runs it: the ENTRYPOINT with FUNCTION_TARGET and PORT. */
async function startFunction(target: string, env: Record<string, string> = {}) {
  const port = await freePort();
  return startInImage(
    target,
    image.entrypoint,
    { FUNCTION_TARGET: target, PORT: String(port), ...env },
    port,
  );
}

function eventsOf(type: string, subject: string) {
  return sink.events.filter((event) => event.type === type && event.subject === subject);
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "vvcu-image-"));
  image = await buildImage(ROOT, path.join(workDir, "build"));
  [redis, mosquitto, sink] = await Promise.all([startRedis(), startMosquitto(), startSink()]);
}, 600_000);

afterAll(async () => {
  for (const child of processes) child.kill("SIGKILL");
  await Promise.all([redis?.dispose(), mosquitto?.dispose(), sink?.close()]);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe("the image, built from exactly what the Dockerfile copies", { timeout: 60_000 }, () => {
  it("holds only what the runtime stage copies, with nothing above it to import from", () => {
    expect(existsSync(path.join(image.appDir, "dist", "functions", "twin", "index.js"))).toBe(true);
    for (let dir = path.dirname(image.appDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, "node_modules")), `${dir}/node_modules`).toBe(false);
      expect(existsSync(path.join(dir, "package.json")), `${dir}/package.json`).toBe(false);
    }
  });

  it("twin: a CAM CloudEvent in, the twin in Redis and twin.created to K_SINK", async () => {
    const url = await startFunction("twin", { VVCU_MEC_ID: "mec-a", REDIS_URL: redis.url, K_SINK: sink.url });
    const post = httpTransport({ url, timeoutMs: 5_000 });
    await post.emit(citsEvent(cam("3001", 0, { speed: 12.5 }), "image-1"));
    await post.close();
    const [created] = await eventually("twin.created", async () => {
      const found = eventsOf("io.vvcu.twin.created", "3001");
      return found.length > 0 ? found : undefined;
    });
    expect((created?.data as { twin: { speed: number; mec: string } } | undefined)?.twin).toMatchObject({
      speed: 12.5,
      mec: "mec-a",
    });
  });

  it("manager: the API answers with the twin the twin function stored", async () => {
    const url = await startFunction("manager", { REDIS_URL: redis.url });
    const twin = await eventually("the twin in the API", async () => {
      const answer = await fetch(`${url}/api/v1/twins/3001`, { signal: AbortSignal.timeout(5_000) });
      return answer.status === 200 ? ((await answer.json()) as { id: string; mec: string }) : undefined;
    });
    expect(twin).toMatchObject({ id: "3001", mec: "mec-a" });
    // The console: its page, and its script bundled from the sources the image carries.
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(5_000) });
    expect(await page.text()).toContain('src="console/app.js"');
    const script = await fetch(`${url}/console/app.js`, { signal: AbortSignal.timeout(20_000) });
    expect(script.status).toBe(200);
    expect(await script.text()).toMatch(/leaflet/i);
    const docs = await fetch(`${url}/docs/swagger-ui-bundle.js`, { signal: AbortSignal.timeout(5_000) });
    expect(docs.status).toBe(200);
  });

  it("geofence: a twin updated in the other MEC's zone in, migration.requested to K_SINK", async () => {
    // One fix in the other zone is enough here, so one event shows the decision.
    const url = await startFunction("geofence", {
      VVCU_MEC_ID: "mec-a",
      K_SINK: sink.url,
      VVCU_GEOFENCE_MIN_FIXES: "1",
      VVCU_GEOFENCE_MIN_DWELL_S: "0",
    });
    const twin = { ...snapshotOf("3002", "mec-a").twin, position: IN_MEC_B };
    const post = httpTransport({ url, timeoutMs: 5_000 });
    await post.emit(twinEvent("io.vvcu.twin.updated", twin));
    await post.close();
    const [requested] = await eventually("migration.requested", async () => {
      const found = eventsOf("io.vvcu.migration.requested", "3002");
      return found.length > 0 ? found : undefined;
    });
    expect(requested?.data).toMatchObject({
      twin: "3002",
      from: "mec-a",
      to: "mec-b",
      reason: "entered-zone",
    });
  });

  it("migration: with knative/'s topology, a migration.requested in, 202 and migration.started", async () => {
    const topologyFile = path.join(workDir, "topology.yaml");
    await writeFile(topologyFile, knativeTopology());
    const url = await startFunction("migration", {
      VVCU_MEC_ID: "mec-a",
      VVCU_TOPOLOGY: topologyFile,
      K_SINK: sink.url,
    });
    const requestMigration = async (request: object) => {
      const event = ownCloudEvent({
        type: "io.vvcu.migration.requested",
        source: "/vvcu/mec-a/test",
        subject: "3003",
        data: { ...request, twin: "3003", requestedAt: new Date().toISOString() },
      });
      const message = HTTP.binary(event);
      return fetch(url, {
        method: "POST",
        headers: message.headers as Record<string, string>,
        body: message.body as string,
        signal: AbortSignal.timeout(10_000),
      });
    };
    // A move whose source has no twin CNF yet fails its delivery, so the Broker delivers it again
    // once the twin's first home may have been deployed.
    const early = await requestMigration({
      id: "m-image-0",
      from: "mec-a",
      to: "mec-b",
      trigger: "manual",
      reason: "manual",
    });
    expect(early.status, outputs.get("migration")).toBe(500);
    // The twin's first home: the shipped defaults deploy it with the kubernetes driver.
    const answer = await requestMigration({
      id: "m-image-1",
      from: "mec-a",
      to: "mec-a",
      trigger: "geofence",
      reason: "first-placement",
    });
    expect(answer.status, outputs.get("migration")).toBe(202);
    expect(((await answer.json()) as { migration: { driver: string } }).migration.driver).toBe("kubernetes");
    await eventually("migration.started", async () =>
      eventsOf("io.vvcu.migration.started", "3003").length > 0 ? true : undefined,
    );
    expect(outputs.get("migration")).toContain("has no twin CNF at mec-a yet");
  });

  it("proxy: a twin.updated in, the twin's dashboard topic on the broker", async () => {
    const url = await startFunction("proxy", { VVCU_DASHBOARD_MQTT_URL: mosquitto.url });
    const watcher = await mqtt.connectAsync(mosquitto.url, { reconnectPeriod: 0 });
    const seen: string[] = [];
    watcher.on("message", (topic) => seen.push(topic));
    await watcher.subscribeAsync("vvcu/dashboard/#");
    const post = httpTransport({ url, timeoutMs: 5_000 });
    await post.emit(twinEvent("io.vvcu.twin.updated", snapshotOf("3004", "mec-a").twin));
    await post.close();
    await eventually("the dashboard topic", async () =>
      seen.includes("vvcu/dashboard/twins/3004") ? true : undefined,
    );
    await watcher.endAsync();
  });

  it("twin-cnf: hydrates from VVCU_HYDRATE_FROM, then is ready and serves the twin", async () => {
    const snapshot = snapshotOf("3005", "mec-a");
    const source = http.createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(snapshot));
    });
    await new Promise<void>((resolve) => source.listen(0, "127.0.0.1", resolve));
    const from = `http://127.0.0.1:${(source.address() as AddressInfo).port}/twins/3005/snapshot`;
    try {
      const url = await startFunction("twin-cnf", {
        VVCU_TWIN_ID: "3005",
        VVCU_MEC_ID: "mec-b",
        VVCU_HYDRATE_FROM: from,
        REDIS_URL: redis.url,
      });
      await eventually("twin CNF ready", async () =>
        (await isTwinCnfReady(url, AbortSignal.timeout(5_000), 2_000)) ? true : undefined,
      );
      const hydrated = await new RemoteTwinHost("mec-b", { baseUrl: url }).snapshot("3005");
      expect(hydrated?.twin.trajectory).toEqual(snapshot.twin.trajectory);
      expect(hydrated?.twin.messages.cam).toBe(snapshot.twin.messages.cam);
    } finally {
      await new Promise((resolve) => source.close(resolve));
    }
  });

  it("bridge: knative/bridge.yaml's command, a CAM on MQTT in, a CAM CloudEvent to K_SINK", async () => {
    const port = await freePort();
    await startInImage(
      "bridge",
      bridgeCommand(),
      {
        MQTT_URL: mosquitto.url,
        K_SINK: sink.url,
        VVCU_MEC_ID: "mec-a",
        VVCU_BRIDGE_FILTER: "none",
        VVCU_BRIDGE_PORT: String(port),
      },
      port,
    );
    const client = await connect(mosquitto.url);
    await eventually("the CAM bridged", async () => {
      await publishCam(client, 3006, { ...IN_MEC_B, speed: 5, heading: 0, timeMs: Date.now() });
      return eventsOf(citsEventType("cam"), "3006").length > 0 ? true : undefined;
    });
    await client.endAsync();
  });
});

function twinEvent(type: "io.vvcu.twin.created" | "io.vvcu.twin.updated", twin: { id: string }) {
  return ownCloudEvent({ type, source: "/vvcu/mec-a/twin", subject: twin.id, data: { twin } });
}

/** The topology knative/topology.yaml ships (the ConfigMap's data). */
function knativeTopology(): string {
  const text = readFileSync(path.join(ROOT, "knative", "topology.yaml"), "utf8");
  const configMap = parseAllDocuments(text)[0]?.toJS() as { data: Record<string, string> };
  return configMap.data["topology.yaml"] as string;
}

/** The bridge container's command in knative/bridge.yaml's ContainerSource. */
function bridgeCommand(): string[] {
  const text = readFileSync(path.join(ROOT, "knative", "bridge.yaml"), "utf8");
  for (const document of parseAllDocuments(text)) {
    const manifest = document.toJS() as {
      kind?: string;
      spec?: { template: { spec: { containers: { command: string[] }[] } } };
    };
    const command = manifest.spec?.template.spec.containers[0]?.command;
    if (manifest.kind === "ContainerSource" && command) return command;
  }
  throw new Error("knative/bridge.yaml has no ContainerSource with a command");
}
