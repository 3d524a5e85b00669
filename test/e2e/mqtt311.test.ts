/**
 * MQTT_URL naming a broker that speaks MQTT 3.1.1 only (Aedes, as a standalone broker): the stack
 * refuses to start with a sentence saying so, or works with MQTT_PROTOCOL_VERSION=4. It used to
 * say "up" and process nothing, its bridges' MQTT 5 sessions refused over and over.
 */
import net from "node:net";
import { Aedes } from "aedes";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/servers.ts";
import {
  connect,
  eventually,
  publishCam,
  runStartExpectingExit,
  startStackProcess,
  twin,
} from "./harness.ts";

describe("a broker without MQTT 5 at MQTT_URL", { timeout: 90_000 }, () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("is refused at start-up with a sentence saying what to do", async () => {
    const result = await runStartExpectingExit({ MQTT_URL: url, VVCU_API_PORT: String(await freePort()) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the MQTT broker at ${url} does not speak MQTT 5`);
    expect(result.stderr).toContain("set MQTT_PROTOCOL_VERSION=4");
  });

  it("works with MQTT_PROTOCOL_VERSION=4: a CAM makes a twin", async () => {
    const stack = await startStackProcess({ MQTT_URL: url, MQTT_PROTOCOL_VERSION: "4" });
    const client = await connect(url);
    try {
      await publishCam(client, 3_110, { lat: 40.63, lon: -8.65, speed: 3, heading: 0, timeMs: Date.now() });
      const seen = await eventually("the twin", () => twin(stack.apiUrl, 3_110));
      expect(seen.messages.cam).toBe(1);
    } finally {
      await client.endAsync();
      await stack.stop();
    }
  });
});
