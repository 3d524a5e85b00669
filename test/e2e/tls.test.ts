/**
 * With a certificate (VVCU_TLS_CERT_FILE, VVCU_TLS_KEY_FILE) the embedded broker speaks only
 * MQTT over TLS and the API only HTTPS; clients verify the certificate. The certificate names a
 * host other than 127.0.0.1, as a real one would: the stack's own client pins it instead.
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Certificate, selfSignedCertificate } from "../helpers/certificate.ts";
import { eventually, publishCam, type StackProcess, startStackProcess } from "./harness.ts";

const SERVER_NAME = "vvcu.example";
const USER = "station";
const PASSWORD = "over-tls-only";
const TOKEN = "tls-token";

function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { timeout: 5_000, ...options }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 5 s")));
    request.on("error", reject);
  });
}

/** "connected", or why not: a refusal, a TLS error, or the connection closing unanswered. */
function connectError(url: string, options: mqtt.IClientOptions): Promise<string> {
  const client = mqtt.connect(url, {
    protocolVersion: 4,
    connectTimeout: 3_000,
    reconnectPeriod: 0,
    username: USER,
    password: PASSWORD,
    ...options,
  });
  return new Promise<string>((resolve) => {
    client.once("connect", () => resolve("connected"));
    client.once("error", (error) => resolve(error.message));
    client.once("close", () => resolve("closed without an answer"));
  }).finally(() => client.end(true));
}

describe("vvcu start with a certificate", { timeout: 90_000 }, () => {
  let dir: string;
  let certificate: Certificate;
  let stack: StackProcess;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "vvcu-tls-"));
    certificate = selfSignedCertificate(dir, `DNS:${SERVER_NAME}`, SERVER_NAME);
    stack = await startStackProcess({
      VVCU_TLS_CERT_FILE: certificate.certFile,
      VVCU_TLS_KEY_FILE: certificate.keyFile,
      MQTT_USERNAME: USER,
      MQTT_PASSWORD: PASSWORD,
      VVCU_API_TOKEN: TOKEN,
      // Its own client connects to its own broker: the pinned certificate lets it in.
      VVCU_SIM: "1",
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves MQTT over TLS only, to clients that verify the certificate", async () => {
    expect(stack.brokerUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const plain = stack.brokerUrl.replace("mqtts://", "mqtt://");
    expect(await connectError(plain, {})).not.toBe("connected");
    expect(await connectError(stack.brokerUrl, { servername: SERVER_NAME })).toMatch(/self.signed/i);
    const trusted = { ca: certificate.cert, servername: SERVER_NAME };
    expect(await connectError(stack.brokerUrl, { ...trusted, password: "guess" })).toMatch(
      /Bad username or password/,
    );

    const client = await mqtt.connectAsync(stack.brokerUrl, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: USER,
      password: PASSWORD,
      ...trusted,
    });
    try {
      await publishCam(client, 7301, { lat: 40.62, lon: -8.65, speed: 0, heading: 90, timeMs: Date.now() });
    } finally {
      await client.endAsync();
    }
    const twin = await eventually("the station's twin over HTTPS", async () => {
      const answer = await get(`${stack.apiUrl}/api/v1/twins/7301`, {
        ca: certificate.cert,
        servername: SERVER_NAME,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return answer.status === 200 ? (JSON.parse(answer.body) as { mec: string }) : undefined;
    });
    expect(twin.mec).toBe("mec-b");
  });

  it("serves the API over HTTPS only", async () => {
    expect(stack.apiUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await get(`${stack.apiUrl}/health`, { ca: certificate.cert, servername: SERVER_NAME });
    expect(health.status).toBe(200);
    await expect(get(`${stack.apiUrl}/health`, { servername: SERVER_NAME })).rejects.toThrow(/self.signed/i);
    await expect(get(`${stack.apiUrl.replace("https://", "http://")}/health`)).rejects.toThrow();
  });
});
