/**
 * The embedded broker lets in only who it should: with MQTT_USERNAME and MQTT_PASSWORD, anonymous
 * clients and wrong passwords are refused; beyond loopback, the stack refuses to start open
 * unless told to (loudly), and the banner says where it really listens.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/servers.ts";
import {
  eventually,
  getJson,
  publishCam,
  runStartExpectingExit,
  type StackProcess,
  startStackProcess,
  twin,
} from "./harness.ts";

const USER = "station";
const PASSWORD = "broker-secret";
const TOKEN = "api-secret";

/** The CONNACK's answer: "connected", or the broker's refusal. */
async function tryConnect(
  url: string,
  credentials: { username?: string; password?: string },
): Promise<string> {
  try {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      connectTimeout: 5_000,
      reconnectPeriod: 0,
      ...credentials,
    });
    await client.endAsync();
    return "connected";
  } catch (error) {
    return (error as Error).message;
  }
}

describe("the embedded broker with MQTT_USERNAME and MQTT_PASSWORD", { timeout: 90_000 }, () => {
  let stack: StackProcess;

  beforeAll(async () => {
    // The simulator runs: the stack's own client gets in with the same credentials.
    stack = await startStackProcess({ MQTT_USERNAME: USER, MQTT_PASSWORD: PASSWORD, VVCU_SIM: "1" });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("refuses anonymous clients and wrong passwords, and lets the right one publish", async () => {
    expect(await tryConnect(stack.brokerUrl, {})).toMatch(/Bad username or password/);
    expect(await tryConnect(stack.brokerUrl, { username: USER, password: "guess" })).toMatch(
      /Bad username or password/,
    );
    expect(await tryConnect(stack.brokerUrl, { username: "other", password: PASSWORD })).toMatch(
      /Bad username or password/,
    );
    const client = await mqtt.connectAsync(stack.brokerUrl, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: USER,
      password: PASSWORD,
    });
    try {
      await publishCam(client, 7201, { lat: 40.62, lon: -8.65, speed: 0, heading: 90, timeMs: Date.now() });
    } finally {
      await client.endAsync();
    }
    await eventually("the station's twin", () => twin(stack.apiUrl, 7201));
  });
});

describe("vvcu start --listen 0.0.0.0", { timeout: 90_000 }, () => {
  const ports = async () => ({
    VVCU_API_PORT: String(await freePort()),
    MQTT_PORT: String(await freePort()),
    VVCU_MIGRATION_JOURNAL: "/dev/null",
  });

  it("refuses to start without broker credentials and an API token, naming what to set", async () => {
    const open = await runStartExpectingExit(await ports(), 30_000, ["--listen", "0.0.0.0"]);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain(
      "--listen 0.0.0.0 opens the MQTT broker and the API to the network without MQTT_USERNAME and MQTT_PASSWORD or VVCU_API_TOKEN: set MQTT_USERNAME and MQTT_PASSWORD and VVCU_API_TOKEN, or accept an open stack with --insecure-listen",
    );
    const tokenOnly = await runStartExpectingExit({ ...(await ports()), VVCU_API_TOKEN: TOKEN }, 30_000, [
      "--listen",
      "0.0.0.0",
    ]);
    expect(tokenOnly.code).toBe(1);
    expect(tokenOnly.stderr).toContain("without MQTT_USERNAME and MQTT_PASSWORD:");
  });

  it("starts open with --insecure-listen, warning loudly, and says where it listens", async () => {
    const stack = await startStackProcess({}, [], ["--listen", "0.0.0.0", "--insecure-listen"]);
    try {
      expect(stack.output()).toContain("listen   0.0.0.0 (every interface) (--listen)");
      expect(stack.output()).toMatch(
        /vvcu: WARNING: --listen 0\.0\.0\.0 opens the MQTT broker and the API to the network without .*anyone who reaches this machine/,
      );
    } finally {
      await stack.stop();
    }
  });

  it("starts with credentials and a token, and the broker still refuses strangers", async () => {
    const stack = await startStackProcess(
      { MQTT_USERNAME: USER, MQTT_PASSWORD: PASSWORD, VVCU_API_TOKEN: TOKEN },
      [],
      ["--listen", "0.0.0.0"],
    );
    try {
      expect(stack.output()).toContain("listen   0.0.0.0 (every interface)");
      expect(stack.output()).toContain("vvcu: WARNING: --listen 0.0.0.0 without a certificate");
      expect(await tryConnect(stack.brokerUrl, {})).toMatch(/Bad username or password/);
      expect(await tryConnect(stack.brokerUrl, { username: USER, password: PASSWORD })).toBe("connected");
      expect((await getJson(`${stack.apiUrl}/api/v1/twins`)).status).toBe(401);
    } finally {
      await stack.stop();
    }
  });
});
