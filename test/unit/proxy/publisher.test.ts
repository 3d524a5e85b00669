import type { MqttClient } from "mqtt";
import { describe, expect, it } from "vitest";
import { MqttDashboardPublisher } from "../../../functions/lib/proxy/mqttPublisher.ts";
import { CollectingPublisher, JsonText, publicationBody } from "../../../functions/lib/proxy/publisher.ts";

const value = { twin: "1001", speedKmh: 12.5, name: "Aveiro ção", ids: [1, null, "x"], nested: { a: true } };

describe("publicationBody", () => {
  it("is empty for null, the text of a JsonText, and the JSON of anything else", () => {
    expect(publicationBody(null)).toBe("");
    expect(publicationBody(new JsonText('[{"id":"a"}]'))).toBe('[{"id":"a"}]');
    expect(publicationBody(value)).toBe(JSON.stringify(value));
    expect(publicationBody([])).toBe("[]");
    expect(publicationBody(0)).toBe("0");
    expect(publicationBody("text")).toBe('"text"');
  });
});

describe("MqttDashboardPublisher", () => {
  it("publishes the body at its QoS, retained as asked", async () => {
    const sent: [string, string, { qos: number; retain: boolean }][] = [];
    const client = {
      publishAsync: async (topic: string, body: string, options: { qos: number; retain: boolean }) => {
        sent.push([topic, body, options]);
      },
    } as unknown as MqttClient;
    const publisher = new MqttDashboardPublisher(client, 1);
    await publisher.publish("vvcu/dashboard/value", value, { retain: true });
    await publisher.publish("vvcu/dashboard/text", new JsonText('[{"id":"a"}]'), { retain: true });
    await publisher.publish("vvcu/dashboard/cleared", null, { retain: false });
    expect(sent).toEqual([
      ["vvcu/dashboard/value", JSON.stringify(value), { qos: 1, retain: true }],
      ["vvcu/dashboard/text", '[{"id":"a"}]', { qos: 1, retain: true }],
      ["vvcu/dashboard/cleared", "", { qos: 1, retain: false }],
    ]);
  });
});

describe("CollectingPublisher", () => {
  it("keeps JSON values, a JsonText parsed back", async () => {
    const publisher = new CollectingPublisher();
    await publisher.publish("a", value, { retain: true });
    await publisher.publish("b", new JsonText('[{"id":"a"}]'), { retain: false });
    await publisher.publish("b", null, { retain: true });
    expect(publisher.messages).toEqual([
      { topic: "a", payload: value, retain: true },
      { topic: "b", payload: [{ id: "a" }], retain: false },
      { topic: "b", payload: null, retain: true },
    ]);
    expect(publisher.last("a")).toBe(value);
  });
});
