/**
 * The API's access model on a running stack: with VVCU_API_TOKEN every path but /health needs it
 * (reads too); a web page cannot move twins (text/plain or unlabelled bodies, foreign origins).
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connect,
  eventually,
  getJson,
  migrationsOf,
  publishCam,
  type StackProcess,
  startStackProcess,
  twin,
} from "./harness.ts";

const TOKEN = "api-secret";

/** A request as a script (or a page's fetch) sends it, no client adding headers of its own. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers ?? {}, timeout: 5_000 },
      (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("timeout", () => request.destroy(new Error("no answer within 5 s")));
    request.on("error", reject);
    request.end(options.body);
  });
}

async function parkStation(stack: StackProcess, id: number, token?: string): Promise<void> {
  const client = await connect(stack.brokerUrl);
  const start = Date.now();
  for (let i = 0; i < 3; i++) {
    await publishCam(client, id, { lat: 40.62, lon: -8.65, speed: 0, heading: 90, timeMs: start + i * 100 });
  }
  await client.endAsync();
  await eventually("the station's twin at mec-b", async () => {
    const current = await twin(stack.apiUrl, id, token);
    return current?.mec === "mec-b" ? current : undefined;
  });
}

describe("with VVCU_API_TOKEN, every API path with data needs it", { timeout: 90_000 }, () => {
  let stack: StackProcess;

  beforeAll(async () => {
    stack = await startStackProcess({ VVCU_API_TOKEN: TOKEN });
    await parkStation(stack, 7101, TOKEN);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("refuses reads without the token (positions, trajectories, OpenAPI, metrics, events) and serves them with it", async () => {
    const paths = [
      "/api/v1/twins",
      "/api/v1/twins/7101",
      "/api/v1/mecs",
      "/api/v1/migrations",
      "/openapi.json",
      "/metrics",
    ];
    for (const path of paths) {
      const anonymous = await rawRequest(`${stack.apiUrl}${path}`, {});
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.body, path).not.toContain("7101");
      const wrong = await rawRequest(`${stack.apiUrl}${path}`, {
        headers: { authorization: "Bearer guess" },
      });
      expect(wrong.status, path).toBe(401);
      const allowed = await rawRequest(`${stack.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(allowed.status, path).toBe(200);
    }
    // The live stream too (with the token it streams, so only the refusal is asked here).
    const stream = await rawRequest(`${stack.apiUrl}/api/v1/events`, {});
    expect(stream.status).toBe(401);
    expect((await getJson(`${stack.apiUrl}/health`)).status).toBe(200);
  });
});

describe("without a token, a web page cannot move twins or read them", { timeout: 90_000 }, () => {
  let stack: StackProcess;

  beforeAll(async () => {
    stack = await startStackProcess();
    await parkStation(stack, 7102);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it("refuses text/plain, unlabelled, cross-origin and rebound requests, and moves the twin for a JSON one", async () => {
    const url = `${stack.apiUrl}/api/v1/twins/7102/migrations`;
    const body = JSON.stringify({ target: "mec-a" });
    const attempts: [Record<string, string>, number][] = [
      // What a form or a page's "simple" fetch sends without a CORS preflight.
      [{ "content-type": "text/plain", origin: "https://evil.example" }, 403],
      [{ "content-type": "text/plain" }, 415],
      [{}, 415],
      [{ "content-type": "application/json", origin: "https://evil.example" }, 403],
      [{ "content-type": "application/json", "sec-fetch-site": "cross-site" }, 403],
    ];
    for (const [headers, status] of attempts) {
      const answer = await rawRequest(url, { method: "POST", headers, body });
      expect(answer.status, JSON.stringify(headers)).toBe(status);
    }
    // DNS rebinding: a page's own name pointed at 127.0.0.1 is same-origin to the browser.
    const rebound = { host: "rebind.example:8080", origin: "http://rebind.example:8080" };
    const post = await rawRequest(url, {
      method: "POST",
      headers: { ...rebound, "content-type": "application/json" },
      body,
    });
    expect(post.status).toBe(403);
    expect(post.body).toContain("Host rebind.example:8080 is not this machine");
    const read = await rawRequest(`${stack.apiUrl}/api/v1/twins`, { headers: rebound });
    expect(read.status).toBe(403);
    expect(read.body).not.toContain("7102");
    expect(await migrationsOf(stack.apiUrl, 7102)).toEqual([]);
    expect((await twin(stack.apiUrl, 7102))?.mec).toBe("mec-b");

    const json = await rawRequest(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(json.status).toBe(202);
    await eventually("the twin at mec-a", async () =>
      (await twin(stack.apiUrl, 7102))?.mec === "mec-a" ? true : undefined,
    );
  });
});
