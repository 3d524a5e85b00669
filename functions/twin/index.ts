/**
 * The twin function (Knative Service vvcu-twin): C-ITS events of the stations this MEC hosts
 * -> their twins (Redis or memory) -> twin.created / twin.updated / twin.expired to K_SINK.
 */
import * as functions from "@google-cloud/functions-framework";
import type { CloudEventV1 } from "cloudevents";
import { loadConfig } from "../lib/config.ts";
import { lazily } from "../lib/runtime/lazy.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { twinServiceFromConfig } from "../lib/twin/fromConfig.ts";

const twins = lazily(async () => {
  const configured = twinServiceFromConfig(loadConfig());
  try {
    await configured.service.start();
  } catch (error) {
    await configured.close();
    throw error;
  }
  process.once("SIGTERM", () => void configured.close());
  return configured;
});

serveMetricsFromEnv();

functions.cloudEvent("twin", async (event: CloudEventV1<unknown>) => {
  await (await twins.get()).service.handle(event);
});

/** For tests and the embedded stack: stops the service this module built. */
export async function closeTwinFunction(): Promise<void> {
  const running = await twins.reset()?.catch(() => undefined);
  await running?.close();
}
