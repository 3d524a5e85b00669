/**
 * The twin function (Knative Service vvcu-twin): C-ITS events of the stations this MEC hosts
 * -> their twins (Redis or memory) -> twin.created / twin.updated / twin.expired to K_SINK.
 */
import * as functions from "@google-cloud/functions-framework";
import type { CloudEventV1 } from "cloudevents";
import { loadConfig } from "../lib/config.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { type ConfiguredTwinService, twinServiceFromConfig } from "../lib/twin/fromConfig.ts";

let twins: Promise<ConfiguredTwinService> | undefined;

/** Built on the first event, so importing this module never needs the environment. */
function service(): Promise<ConfiguredTwinService> {
  twins ??= (async () => {
    const configured = twinServiceFromConfig(loadConfig());
    await configured.service.start();
    process.once("SIGTERM", () => void configured.close());
    return configured;
  })().catch((error: unknown) => {
    twins = undefined; // the next event tries again
    throw error;
  });
  return twins;
}

serveMetricsFromEnv();

functions.cloudEvent("twin", async (event: CloudEventV1<unknown>) => {
  await (await service()).service.handle(event);
});

/** For tests and the embedded stack: stops the service this module built. */
export async function closeTwinFunction(): Promise<void> {
  const running = twins;
  twins = undefined;
  if (running) await (await running).close();
}
