/**
 * A /metrics listener for a function in a cluster. functions-framework serves only the function
 * on the port Knative routes, so Prometheus scrapes this second port on the pod itself
 * (VVCU_METRICS_PORT; the Knative Services annotate it with prometheus.io/port).
 */
import http from "node:http";
import { ConfigSchema } from "../config.ts";
import { componentLogger } from "../log.ts";
import { accessRefusal, apiTokenFromConfig } from "../manager/auth.ts";
import { registry } from "../metrics.ts";

let listener: http.Server | undefined;

/** Starts the listener once per process when VVCU_METRICS_PORT is set; never throws. */
export function serveMetricsFromEnv(env: NodeJS.ProcessEnv = process.env): http.Server | undefined {
  if (listener !== undefined) return listener;
  const port = ConfigSchema.shape.VVCU_METRICS_PORT.safeParse(env.VVCU_METRICS_PORT);
  if (!port.success || port.data === undefined) return undefined;
  const logger = componentLogger("metrics");
  let apiToken: string | undefined;
  try {
    apiToken = apiTokenFromConfig(
      ConfigSchema.pick({ VVCU_API_TOKEN: true, VVCU_API_TOKEN_FILE: true }).parse(env),
    );
  } catch (error) {
    // A token that cannot be read keeps the metrics shut rather than open.
    logger.error({ err: error }, "metrics listener not started");
    return undefined;
  }
  listener = http.createServer((request, response) => {
    const path = request.url?.split("?")[0] ?? "/";
    const refused = accessRefusal({ method: request.method, path, headers: request.headers }, apiToken);
    if (refused !== undefined) {
      response.writeHead(refused.status, { "content-type": "application/json", ...refused.headers });
      response.end(JSON.stringify({ error: refused.message }));
      return;
    }
    if (request.method !== "GET" || path !== "/metrics") {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"only GET /metrics"}');
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { "content-type": registry.contentType }).end(body),
      (error: unknown) => {
        logger.warn({ err: error }, "metrics could not be collected");
        response.writeHead(500).end();
      },
    );
  });
  listener.on("error", (error) => logger.warn({ err: error, port: port.data }, "metrics listener failed"));
  listener.listen(port.data);
  // The function decides when the process ends, not this listener.
  listener.unref();
  return listener;
}

export async function closeMetricsListener(): Promise<void> {
  const running = listener;
  listener = undefined;
  if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
}
