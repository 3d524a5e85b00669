/**
 * The proxy function (Knative Service vvcu-proxy): twin.* and migration.* events -> flat JSON on
 * the dashboard broker's topics (functions/lib/topics.ts dashboardTopics) for Grafana.
 */
import * as functions from "@google-cloud/functions-framework";
import type { CloudEventV1 } from "cloudevents";
import { loadConfig } from "../lib/config.ts";
import { MqttDashboardPublisher } from "../lib/proxy/mqttPublisher.ts";
import { ProxyService } from "../lib/proxy/service.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { connectMqtt, mqttConnection } from "../lib/runtime/mqttConnect.ts";

let proxy: Promise<{ service: ProxyService; publisher: MqttDashboardPublisher }> | undefined;

/** Connected on the first event, so importing this module never needs the environment or a broker. */
function service() {
  proxy ??= (async () => {
    const config = loadConfig();
    const url = config.VVCU_DASHBOARD_MQTT_URL ?? config.MQTT_URL;
    if (!url) throw new Error("VVCU_DASHBOARD_MQTT_URL (or MQTT_URL) must name the dashboard broker");
    const client = await connectMqtt(mqttConnection(url, config), {
      clientId: `vvcu-proxy-${process.pid}`,
      variable: "VVCU_DASHBOARD_MQTT_URL",
    });
    const publisher = new MqttDashboardPublisher(client, config.VVCU_DASHBOARD_MQTT_QOS as 0 | 1);
    process.once("SIGTERM", () => void closeProxyFunction());
    return { service: new ProxyService({ publisher }), publisher };
  })().catch((error: unknown) => {
    proxy = undefined; // the next event tries again
    throw error;
  });
  return proxy;
}

serveMetricsFromEnv();

functions.cloudEvent("proxy", async (event: CloudEventV1<unknown>) => {
  await (await service()).service.handle(event);
});

/** Publishes what is pending and disconnects (SIGTERM, tests). */
export async function closeProxyFunction(): Promise<void> {
  const running = proxy;
  proxy = undefined;
  if (!running) return;
  const { service: proxyService, publisher } = await running;
  await proxyService.stop();
  await publisher.close();
}
