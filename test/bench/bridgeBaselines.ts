/**
 * What the bridge benchmark compares the bridge with, in the same run: the naive bridge, and
 * direct keep-alive POSTs to the same sink (no MQTT, no bridge). Also the CAMs all of them send.
 */
import http from "node:http";
import { HTTP } from "cloudevents";
import mqtt, { type MqttClient } from "mqtt";
import { Pool } from "undici";
import { citsCloudEvent } from "../../bridges/mqtt/event.ts";
import { decode } from "../../functions/lib/cits/decode.ts";
import { now } from "./bridgeThreads.ts";
import { percentile } from "./types.ts";

export const TOPIC = "vanetza/out/cam";
/** The naive bridge reads its own topic, so both can stay connected and take turns. */
export const NAIVE_TOPIC = "its_center/inqueue/json/1/CAM";
export const STATIONS = 200;
/** The bridge's default (fromConfig.ts): deliveries in flight, and connections to the sink. */
export const CONCURRENCY = 64;

export function cam(index: number): string {
  const station = 1000 + (index % STATIONS);
  return JSON.stringify({
    stationID: station,
    timestamp: 1_700_000_000 + index / 1000,
    fields: {
      header: { protocolVersion: 2, messageID: 2, stationID: station },
      cam: {
        generationDeltaTime: index % 65_536,
        camParameters: {
          basicContainer: { stationType: 5, referencePosition: { latitude: 40.64, longitude: -8.65 } },
          highFrequencyContainer: { basicVehicleContainerHighFrequency: { heading: 90, speed: 13.9 } },
        },
      },
    },
  });
}

async function connect(url: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

/** The naive bridge: default mqtt.js acking, one message at a time, a fresh connection per request. */
export async function startNaiveBridge(url: string, sinkUrl: string): Promise<MqttClient> {
  const client = await connect(url, { clientId: "bench-naive", clean: true });
  const target = new URL(sinkUrl);
  let chain = Promise.resolve();
  client.on("message", (topic, payload) => {
    chain = chain.then(async () => {
      const result = decode(topic, payload);
      if (!result.ok) return;
      const message = HTTP.binary(citsCloudEvent(result.message, { mec: "naive", topic, payload }));
      await new Promise<void>((resolve) => {
        const request = http.request(
          target,
          { method: "POST", agent: false, headers: message.headers as http.OutgoingHttpHeaders },
          (response) => {
            response.resume();
            response.on("end", resolve);
          },
        );
        request.on("error", () => resolve());
        request.end(message.body as string);
      });
    });
  });
  await client.subscribeAsync(NAIVE_TOPIC, { qos: 1 });
  return client;
}

function serialisedCam(index: number): { headers: Record<string, string>; body: string } {
  const payload = Buffer.from(cam(index));
  const result = decode(TOPIC, payload);
  if (!result.ok) throw new Error(result.rejection.reason);
  const message = HTTP.binary(citsCloudEvent(result.message, { mec: "floor", topic: TOPIC, payload }));
  return { headers: message.headers as Record<string, string>, body: message.body as string };
}

/**
 * The floor: events already serialised, POSTed straight to the sink over CONCURRENCY keep-alive
 * connections with no MQTT and no bridge. No bridge through this sink on this machine can beat it.
 */
export async function directPostRate(sinkUrl: string, count: number): Promise<number> {
  const requests = Array.from({ length: count }, (_, index) => serialisedCam(20_000_000 + index));
  const pool = new Pool(new URL(sinkUrl).origin, { connections: CONCURRENCY });
  let next = 0;
  const post = async () => {
    for (let index = next++; index < count; index = next++) {
      const { headers, body } = requests[index] as { headers: Record<string, string>; body: string };
      const response = await pool.request({ path: "/", method: "POST", headers, body });
      await response.body.dump();
    }
  };
  const start = now();
  await Promise.all(Array.from({ length: CONCURRENCY }, post));
  const rate = (count / (now() - start)) * 1000;
  await pool.close();
  return rate;
}

/** One keep-alive POST at a time, straight to the sink: the floor under any bridge's latency. */
export async function directPostMs(sinkUrl: string, count: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(sinkUrl);
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const { headers, body } = serialisedCam(10_000_000 + index);
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const request = http.request(target, { method: "POST", agent, headers }, (response) => {
        response.resume();
        response.on("end", resolve);
      });
      request.on("error", reject);
      request.end(body);
    });
    times.push(performance.now() - start);
  }
  agent.destroy();
  return percentile(
    times.sort((a, b) => a - b),
    0.5,
  );
}
