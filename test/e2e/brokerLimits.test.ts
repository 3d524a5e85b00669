/**
 * Clients that would hold the embedded broker up, against a running stack: a subscriber that
 * never reads its socket, and a PUBLISH that declares 200 MB and trickles in. Raw TCP sockets,
 * since no well-behaved MQTT client does either.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rssBytes } from "../helpers/rss.ts";
import { connect, eventually, publishCam, type StackProcess, startStackProcess, twin } from "./harness.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited more than ${ms} ms for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Connects a raw socket and sends CONNECT (and SUBSCRIBE to `filters`); resolves after CONNACK. */
async function rawClient(brokerUrl: string, clientId: string, filters: string[] = []): Promise<net.Socket> {
  const { hostname, port } = new URL(brokerUrl);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(
    mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId,
      clean: true,
      keepalive: 0,
    }),
  );
  await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  if (filters.length > 0) {
    socket.write(
      mqttPacket.generate({
        cmd: "subscribe",
        messageId: 1,
        subscriptions: filters.map((topic) => ({ topic, qos: 0 })),
      }),
    );
    await new Promise<void>((resolve) => socket.once("data", () => resolve()));
  }
  return socket;
}

describe("the embedded broker closes clients that would hold it up", { timeout: 120_000 }, () => {
  let stack: StackProcess;
  let client: MqttClient;

  beforeAll(async () => {
    stack = await startStackProcess({ VVCU_SIM: "20" });
    client = await connect(stack.brokerUrl);
  });

  afterAll(async () => {
    await client?.endAsync();
    await stack?.stop();
  });

  it("a dashboard subscriber that never reads is cut off; CAMs keep being applied", async () => {
    const stuck = await rawClient(stack.brokerUrl, "stuck-dashboard", ["vvcu/dashboard/#", "test/fill"]);
    // From now on it never reads: its socket buffers fill up.
    stuck.pause();
    const closed = new Promise<void>((resolve) => stuck.once("close", () => resolve()));
    // Large messages to it fill its buffers within a second, rather than the dashboards' minutes.
    const filler = Buffer.alloc(60_000, 120);
    const fillClient = await connect(stack.brokerUrl);
    for (let index = 0; index < 400; index++) fillClient.publish("test/fill", filler, { qos: 0 });
    const station = 7_100;
    const lon = -8.655;
    for (let step = 0; step < 30; step++) {
      const lat = 40.625 + step * 0.0001;
      await within(
        3_000,
        `the broker to take CAM ${step}`,
        publishCam(client, station, { lat, lon, speed: 5, heading: 0, timeMs: Date.now() }),
      );
      await eventually(
        `CAM ${step} applied`,
        async () => {
          const current = await twin(stack.apiUrl, station);
          return current?.position?.lat !== undefined && Math.abs(current.position.lat - lat) < 1e-7
            ? current
            : undefined;
        },
        3_000,
      );
      await sleep(300);
    }
    // The broker closed it: reading again shows the end of the stream.
    stuck.resume();
    await closed;
    await fillClient.endAsync(true);
    const log = readFileSync(path.join(stack.dir, "vvcu.log"), "utf8");
    expect(log).not.toContain("not taken by the broker");
    expect(log).toContain("stuck-dashboard stopped reading; cut off");
  });

  it("a PUBLISH declaring 200 MB is closed at its header; the broker's memory does not grow", async () => {
    const pid = stack.pid as number;
    const socket = await rawClient(stack.brokerUrl, "oversize");
    let closed = false;
    socket.once("close", () => {
      closed = true;
    });
    socket.on("error", () => {});
    const rssBefore = rssBytes(pid);
    // Fixed header: PUBLISH QoS 0, remaining length 200,000,000 (variable-length integer).
    socket.write(Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f]));
    socket.write(Buffer.from([0x00, 0x0f, ...Buffer.from("vanetza/out/cam")]));
    const chunk = Buffer.alloc(256 * 1024, 65);
    let sent = 0;
    while (!closed && sent < 64 * 1024 * 1024) {
      socket.write(chunk);
      sent += chunk.length;
      await sleep(5);
    }
    await eventually("the connection closed", async () => (closed ? true : undefined), 10_000);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    expect(rssBytes(pid) - rssBefore).toBeLessThan(32 * 1024 * 1024);
    // The broker goes on: CAMs still arrive.
    const lat = 40.63;
    await publishCam(client, 7_200, { lat, lon: -8.65, speed: 1, heading: 0, timeMs: Date.now() });
    await eventually("a CAM after it", async () => ((await twin(stack.apiUrl, 7_200)) ? true : undefined));
  });
});
