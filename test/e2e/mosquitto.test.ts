import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_INPUT_TOPICS } from "../../functions/lib/topics.ts";
import { type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { connect, eventually, publishCam, type StackProcess, startStackProcess, twin } from "./harness.ts";
import { crossingMigratesLosslessly, stationGetsTwinWhereItIs } from "./scenarios.ts";

/** A counter of the stack's /metrics, summed per `mec` label. */
async function perMec(apiUrl: string, metric: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${apiUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const sums: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`)) continue;
    const mec = /mec="([^"]*)"/.exec(line)?.[1] ?? "";
    sums[mec] = (sums[mec] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sums;
}

// Child processes on a busy machine: generous time, since tests never assert timings.
describe("vvcu start against an external Mosquitto (MQTT_URL)", { timeout: 90_000 }, () => {
  let mosquitto: RunningServer;
  let stack: StackProcess;

  beforeAll(async () => {
    // Its $SYS figures every second: how many subscriptions the stack holds.
    mosquitto = await startMosquitto(["sys_interval 1"]);
    stack = await startStackProcess({ MQTT_URL: mosquitto.url });
  });

  afterAll(async () => {
    await stack?.stop();
    await mosquitto?.dispose();
  });

  it("uses the external broker instead of starting one", () => {
    expect(stack.brokerUrl).toBe(mosquitto.url);
    expect(stack.output()).not.toContain("(embedded)");
  });

  it("reads the broker through one subscription for all its MECs, not one session per MEC's bridge", async () => {
    const client = await connect(mosquitto.url);
    let count: number | undefined;
    client.on("message", (_topic, payload) => {
      count = Number(payload.toString());
    });
    try {
      // This client's own subscription is one of them.
      await client.subscribeAsync("$SYS/broker/subscriptions/count", { qos: 0 });
      await eventually("the broker's count of subscriptions", async () =>
        count === DEFAULT_INPUT_TOPICS.length + 1 ? true : undefined,
      );
    } finally {
      await client.endAsync();
    }
  });

  it("hands each MEC's bridge exactly the stations in its zone, each CAM once", async () => {
    const received = await perMec(stack.apiUrl, "vvcu_bridge_messages_received_total");
    const forwarded = await perMec(stack.apiUrl, "vvcu_bridge_messages_forwarded_total");
    const client = await connect(mosquitto.url);
    // Three parked in Aveiro North (mec-a), three in Aveiro South (mec-b), five CAMs each.
    const stations = [
      { id: 6101, lat: 40.65, lon: -8.646, mec: "mec-a" },
      { id: 6102, lat: 40.651, lon: -8.645, mec: "mec-a" },
      { id: 6103, lat: 40.652, lon: -8.644, mec: "mec-a" },
      { id: 6104, lat: 40.63, lon: -8.6512, mec: "mec-b" },
      { id: 6105, lat: 40.631, lon: -8.6502, mec: "mec-b" },
      { id: 6106, lat: 40.632, lon: -8.6492, mec: "mec-b" },
    ];
    const start = Date.now();
    try {
      for (let i = 0; i < 5; i++)
        for (const station of stations)
          await publishCam(client, station.id, { ...station, speed: 0, heading: 0, timeMs: start + i * 100 });
    } finally {
      await client.endAsync();
    }
    for (const station of stations) {
      const seen = await eventually(`the twin of ${station.id} with its 5 CAMs`, async () => {
        const current = await twin(stack.apiUrl, station.id);
        return current !== undefined && current.messages.cam >= 5 ? current : undefined;
      });
      expect(seen.mec).toBe(station.mec);
      expect(seen.messages.cam).toBe(5);
    }
    const receivedAfter = await perMec(stack.apiUrl, "vvcu_bridge_messages_received_total");
    const forwardedAfter = await perMec(stack.apiUrl, "vvcu_bridge_messages_forwarded_total");
    for (const mec of ["mec-a", "mec-b"]) {
      // Every bridge reads every message once; each forwards its own three stations' 15 CAMs.
      expect((receivedAfter[mec] ?? 0) - (received[mec] ?? 0)).toBe(30);
      expect((forwardedAfter[mec] ?? 0) - (forwarded[mec] ?? 0)).toBe(15);
    }
  });

  it("gives a station a twin where it is, as published", async () => {
    await stationGetsTwinWhereItIs(stack.apiUrl, mosquitto.url, 6001);
  });

  it("migrates a vehicle crossing the border without losing or doubling a CAM", async () => {
    await crossingMigratesLosslessly(stack.apiUrl, mosquitto.url, 6002);
  });
});
