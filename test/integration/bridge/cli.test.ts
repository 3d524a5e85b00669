/** `vvcu bridge` as the ContainerSource runs it: from env, /ready when connected, clean exit on SIGTERM. */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, startMosquitto } from "../../helpers/servers.ts";
import { vanetzaCam } from "../../unit/bridge/samples.ts";
import { connectClient, startSink, waitFor } from "./harness.ts";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "vvcu.js");

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

describe("vvcu bridge", () => {
  it("refuses to start without MQTT_URL and K_SINK, naming them", async () => {
    const child = spawn(process.execPath, [cli, "bridge"], {
      env: { PATH: process.env.PATH, LOG_LEVEL: "silent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exitOf(child)).toBe(2);
    expect(stderr).toContain("MQTT_URL and K_SINK must be set");
  }, 60_000);

  it("forwards from env, reports ready, serves /metrics only with the token, drains and exits 0 on SIGTERM", async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const sink = await startSink();
    cleanups.push(() => sink.close());
    const port = await freePort();
    const child = spawn(process.execPath, [cli, "bridge"], {
      env: {
        PATH: process.env.PATH,
        MQTT_URL: broker.url,
        K_SINK: sink.url,
        VVCU_MEC_ID: "mec-cli",
        VVCU_BRIDGE_PORT: String(port),
        K_CE_OVERRIDES: '{"extensions":{"vvcusrc":"containersource"}}',
        VVCU_API_TOKEN: "bridge-token",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    cleanups.push(async () => child.kill("SIGKILL"));
    const ready = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
      } catch {
        return false;
      }
    };
    let isReady = false;
    await waitFor(
      "the bridge to be ready",
      () => {
        void ready().then((value) => {
          isReady = value;
        });
        return isReady;
      },
      50_000,
    );

    const publisher: MqttClient = await connectClient(broker.url);
    cleanups.push(() => publisher.endAsync());
    await publisher.publishAsync("vanetza/out/cam", vanetzaCam(77, 1), { qos: 1 });
    await waitFor("the event", () => sink.received.length === 1);
    expect(sink.received[0]?.event).toMatchObject({
      subject: "77",
      source: "/vvcu/mec-cli/bridge",
      vvcusrc: "containersource",
    });
    // The sink records the event before its answer reaches the bridge: poll until it is counted.
    let metrics = "";
    const forwardedLine = 'vvcu_bridge_messages_forwarded_total{mec="mec-cli",type="cam"} 1';
    await waitFor("the forwarded count", () => {
      void fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: "Bearer bridge-token" } })
        .then((response) => response.text())
        .then((text) => {
          metrics = text;
        });
      return metrics.includes(forwardedLine);
    });
    expect(metrics).toContain('vvcu_bridge_messages_received_total{mec="mec-cli",type="cam"} 1');
    const anonymous = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain("vvcu_");

    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
  }, 90_000);
});
