/**
 * A /metrics listener for a function in a cluster. functions-framework serves only the function
 * on the port Knative routes, so Prometheus scrapes this second port on the pod itself
 * (VVCU_METRICS_PORT; the Knative Services annotate it with prometheus.io/port).
 */
import http from "node:http";
import { ConfigSchema } from "../config.ts";
import { componentLogger } from "../log.ts";
import { registry } from "../metrics.ts";
import { accessRefusal, apiTokenFromConfig } from "./auth.ts";
import { HttpError, metricsReply, send, sendError } from "./http.ts";

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
      sendError(response, new HttpError(refused.status, refused.message, refused.headers));
      return;
    }
    if (request.method !== "GET" || path !== "/metrics") {
      sendError(response, new HttpError(404, "only GET /metrics"));
      return;
    }
    metricsReply(registry).then(
      (reply) => send(response, reply, {}),
      (error: unknown) => {
        logger.warn({ err: error }, "metrics could not be collected");
        sendError(response, error);
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
