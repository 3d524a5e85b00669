/**
 * A /metrics listener for a function in a cluster. functions-framework serves only the function
 * on the port Knative routes, so Prometheus scrapes this second port on the pod itself
 * (VVCU_METRICS_PORT; the Knative Services annotate it with prometheus.io/port).
 */
import http from "node:http";
import { ConfigSchema } from "../config.ts";
import { componentLogger } from "../log.ts";
import { registry } from "../metrics.ts";
import { HttpError, metricsReply, send, sendError } from "./http.ts";

let listener: http.Server | undefined;

/** Starts the listener once per process when VVCU_METRICS_PORT is set; never throws. */
export function serveMetricsFromEnv(env: NodeJS.ProcessEnv = process.env): http.Server | undefined {
  if (listener !== undefined) return listener;
  const port = ConfigSchema.shape.VVCU_METRICS_PORT.safeParse(env.VVCU_METRICS_PORT);
  if (!port.success || port.data === undefined) return undefined;
  const logger = componentLogger("metrics");
  listener = http.createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
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
