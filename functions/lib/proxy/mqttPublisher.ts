/**
 * The proxy's MQTT adapter (mqtt.js): JSON to the dashboard broker, QoS 0 or 1, retained state
 * topics. It takes a connected client (functions/lib/runtime/mqttConnect.ts makes one from the
 * environment); mqtt.js reconnects by itself and queues publications made meanwhile.
 */
import type { MqttClient } from "mqtt";
import { type DashboardPublisher, publicationBody } from "./publisher.ts";

export class MqttDashboardPublisher implements DashboardPublisher {
  constructor(
    private readonly client: MqttClient,
    private readonly qos: 0 | 1 = 0,
  ) {}

  async publish(topic: string, payload: unknown, options: { retain: boolean }): Promise<void> {
    await this.client.publishAsync(topic, publicationBody(payload), {
      qos: this.qos,
      retain: options.retain,
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
