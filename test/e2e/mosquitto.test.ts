import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startMosquitto } from "../helpers/servers.ts";
import { type StackProcess, startStackProcess } from "./harness.ts";
import { crossingMigratesLosslessly, stationGetsTwinWhereItIs } from "./scenarios.ts";

// Child processes on a busy machine: generous time, since tests never assert timings.
describe("vvcu start against an external Mosquitto (MQTT_URL)", { timeout: 90_000 }, () => {
  let mosquitto: RunningServer;
  let stack: StackProcess;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
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

  it("gives a station a twin where it is, as published", async () => {
    await stationGetsTwinWhereItIs(stack.apiUrl, mosquitto.url, 6001);
  });

  it("migrates a vehicle crossing the border without losing or doubling a CAM", async () => {
    await crossingMigratesLosslessly(stack.apiUrl, mosquitto.url, 6002);
  });
});
