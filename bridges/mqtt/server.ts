/**
 * The bridge's own small HTTP server: /metrics (Prometheus), /health (up), /ready (connected to
 * MQTT). With an API token, /metrics needs it, as every vvcu path but the probes (auth.ts).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { registry } from "../../functions/lib/metrics.ts";
import { accessRefusal } from "../../functions/lib/runtime/auth.ts";
import { metricsReply, send, sendError } from "../../functions/lib/runtime/http.ts";

export interface BridgeServer {
  port: number;
  close(): Promise<void>;
}

export async function startBridgeServer(options: {
  port: number;
  host?: string;
  isReady: () => boolean;
  apiToken?: string;
}): Promise<BridgeServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const refused = accessRefusal(
      { method: request.method, path: path ?? "/", headers: request.headers },
      options.apiToken,
    );
    if (refused !== undefined) {
      response.writeHead(refused.status, { "content-type": "text/plain", ...refused.headers });
      response.end(`${refused.message}\n`);
      return;
    }
    if (path === "/health") {
      response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/ready") {
      const ready = options.isReady();
      response
        .writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
        .end(ready ? "ready\n" : "not connected to MQTT\n");
    } else if (path === "/metrics") {
      metricsReply(registry).then(
        (reply) => send(response, reply, {}),
        (error: unknown) => sendError(response, error),
      );
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
