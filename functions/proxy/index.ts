/**
 * The proxy function (Knative Service vvcu-proxy): twin.* and migration.* events -> flat JSON on
 * the dashboard broker's topics (functions/lib/topics.ts dashboardTopics) for Grafana.
 */
import * as functions from "@google-cloud/functions-framework";
import type { CloudEventV1 } from "cloudevents";
import { loadConfig } from "../lib/config.ts";
import { MqttDashboardPublisher } from "../lib/proxy/mqttPublisher.ts";
import { lazily } from "../lib/runtime/lazy.ts";
import { serveMetricsFromEnv } from "../lib/runtime/metricsListener.ts";
import { connectMqtt, mqttConnection } from "../lib/runtime/mqttConnect.ts";
import { loadTopology } from "../lib/topology.ts";
import { proxyFunction } from "./proxy.ts";

const proxy = lazily(async () => {
  const config = loadConfig();
  const url = config.VVCU_DASHBOARD_MQTT_URL ?? config.MQTT_URL;
  if (!url) throw new Error("VVCU_DASHBOARD_MQTT_URL (or MQTT_URL) must name the dashboard broker");
  const client = await connectMqtt(mqttConnection(url, config), {
    clientId: `vvcu-proxy-${process.pid}`,
    variable: "VVCU_DASHBOARD_MQTT_URL",
  });
  const publisher = new MqttDashboardPublisher(client, config.VVCU_DASHBOARD_MQTT_QOS as 0 | 1);
  process.once("SIGTERM", () => void closeProxyFunction());
  return { service: proxyFunction({ topology: loadTopology(config.VVCU_TOPOLOGY), publisher }), publisher };
});

serveMetricsFromEnv();

functions.cloudEvent("proxy", async (event: CloudEventV1<unknown>) => {
  await (await proxy.get()).service.handle(event);
});

/** Publishes what is pending and disconnects (SIGTERM, tests). */
export async function closeProxyFunction(): Promise<void> {
  const running = await proxy.reset()?.catch(() => undefined);
  if (!running) return;
  await running.service.stop();
  await running.publisher.close();
}
