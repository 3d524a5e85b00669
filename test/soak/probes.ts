/** What the soak reads from the stack (memory, lag, counts) and the misbehaving clients it runs. */
import net from "node:net";
import mqtt, { type MqttClient } from "mqtt";
import mqttPacket from "mqtt-packet";
import type { Twin } from "../../functions/lib/model/twin.ts";
import { getJson } from "../e2e/harness.ts";
import { rssBytes } from "../helpers/rss.ts";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function rssMb(pid: number): number {
  return rssBytes(pid) / 2 ** 20;
}

/** The event-loop lag since the last scrape: one scrape, as each resets prom-client's histogram. */
export async function eventLoopLagMs(apiUrl: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const value = (name: string) => {
    const line = text.split("\n").find((entry) => entry.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1)) * 1000;
  };
  return {
    p99: value("vvcu_process_nodejs_eventloop_lag_p99_seconds"),
    max: value("vvcu_process_nodejs_eventloop_lag_max_seconds"),
  };
}

/**
 * Distinct CAMs counted by the twins (`messages.cam`, applied or late; a migration hands the
 * count on with the twin). The stack runs with twins kept for an hour without messages, so
 * none expires while the soak waits for the backlog.
 */
export async function camsCounted(apiUrl: string): Promise<number> {
  const { body } = await getJson<Twin[]>(`${apiUrl}/api/v1/twins`);
  return body.reduce((sum, twin) => sum + twin.messages.cam, 0);
}

/**
 * The twins' counters from /metrics, summed over MECs: CAMs applied, events that came late and
 * duplicates (a redelivery) ignored. During a migration both the source and the target apply
 * the events between the snapshot's cut and the switch, so these count a little more than
 * `camsCounted`.
 */
export async function twinCounts(
  apiUrl: string,
): Promise<{ cams: number; late: number; duplicates: number }> {
  const text = await (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const counts = { cams: 0, late: 0, duplicates: 0 };
  for (const line of text.split("\n")) {
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("vvcu_twin_events_applied_total{") && line.includes('type="cam"'))
      counts.cams += value;
    else if (line.startsWith("vvcu_twin_events_ignored_total{") && line.includes('reason="late"'))
      counts.late += value;
    else if (line.startsWith("vvcu_twin_events_ignored_total{") && line.includes('reason="duplicate"'))
      counts.duplicates += value;
  }
  return counts;
}

export function client(url: string, clientId: string): Promise<MqttClient> {
  // A persistent session: what the broker holds for it survives the broker's restart.
  return mqtt.connectAsync(url, { clientId, clean: false, protocolVersion: 4, reconnectPeriod: 500 });
}

/** A raw client that subscribes to everything and never reads again; resolves once subscribed. */
export async function stuckSubscriber(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "soak-stuck",
      clean: true,
      keepalive: 0,
    }),
  );
  socket.write(
    mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "#", qos: 0 }] }),
  );
  await sleep(200);
  socket.pause();
  return socket;
}

/** A PUBLISH declaring 200 MB, trickled; resolves whether the broker closed it within `ms`. */
export async function oversizePublish(url: string, ms: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on("error", () => {});
  let closed = false;
  socket.once("close", () => {
    closed = true;
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(
    mqttPacket.generate({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clientId: "soak-oversize",
      clean: true,
      keepalive: 0,
    }),
  );
  socket.write(Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f]));
  const until = Date.now() + ms;
  const chunk = Buffer.alloc(64 * 1024, 65);
  while (!closed && Date.now() < until) {
    socket.write(chunk);
    await sleep(20);
  }
  socket.destroy();
  return closed;
}
