/**
 * The proxy's publisher inside the embedded broker: the same retained dashboard topics as
 * MqttDashboardPublisher, handed to Aedes directly instead of through a loopback MQTT session.
 */
import type { Aedes } from "aedes";
import type { DashboardPublisher } from "../../functions/lib/proxy/publisher.ts";

export class InProcessDashboardPublisher implements DashboardPublisher {
  constructor(private readonly broker: Aedes) {}

  publish(topic: string, payload: unknown, options: { retain: boolean }): Promise<void> {
    const body = Buffer.from(payload === null ? "" : JSON.stringify(payload));
    return new Promise<void>((resolve, reject) => {
      this.broker.publish(
        { cmd: "publish", topic, payload: body, qos: 0, retain: options.retain, dup: false },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }
}
