/** The Broker stand-in keeps Knative's contract: filters, retries, dead letters, replies, both modes. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CloudEvent, HTTP } from "cloudevents";
import { afterEach, describe, expect, it } from "vitest";
import { backoffMs, durationMs, KnativeBroker, readBrokerDelivery, readTriggers } from "./knativeBroker.ts";

const knative = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "knative");

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A subscriber answering from a script of status codes (the last one repeats). */
async function subscriber(statuses: number[], reply?: CloudEvent<unknown>) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const status = statuses.length > 1 ? (statuses.shift() as number) : (statuses[0] as number);
      if (reply && status < 300) {
        const message = HTTP.binary(reply);
        response.writeHead(status, message.headers as http.OutgoingHttpHeaders).end(message.body as string);
      } else response.writeHead(status).end("busy");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { received, url, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function post(url: string, init: { headers: Record<string, string>; body: string }) {
  return (await fetch(url, { method: "POST", ...init })).status;
}

describe("Knative Broker stand-in", () => {
  it("reads the repository's Triggers and the Broker's delivery", () => {
    const triggers = readTriggers(path.join(knative, "triggers.yaml"));
    const cam = triggers.find((t) => t.name === "vvcu-twin-cits-cam");
    expect(cam).toMatchObject({
      broker: "vvcu",
      filter: { type: "io.vvcu.cits.cam.received" },
      subscriber: { ref: { kind: "Service", name: "vvcu-twin" } },
    });
    expect(readBrokerDelivery(path.join(knative, "broker.yaml"), "vvcu")).toEqual({
      retry: 5,
      backoffPolicy: "exponential",
      backoffDelay: "PT0.2S",
    });
    expect(durationMs("PT0.2S")).toBe(200);
    expect(durationMs("PT1M2.5S")).toBe(62_500);
    expect(backoffMs({ backoffDelay: "PT0.2S", backoffPolicy: "exponential" }, 3)).toBe(1600);
    expect(backoffMs({ backoffDelay: "PT0.2S", backoffPolicy: "linear" }, 3)).toBe(600);
  });

  it("delivers by exact attribute match, retries a 503, and puts a reply back on the Broker", async () => {
    const reply = new CloudEvent({ id: "r1", source: "/twin", type: "io.example.reply", data: { ok: 1 } });
    const first = await subscriber([503, 503, 200], reply);
    const second = await subscriber([200]);
    closers.push(first.close, second.close);
    const broker = new KnativeBroker({
      name: "vvcu",
      host: "127.0.0.1",
      triggers: [
        { name: "a", broker: "vvcu", filter: { type: "io.example.in" }, subscriber: { uri: first.url } },
        { name: "b", broker: "vvcu", filter: { type: "io.example.reply" }, subscriber: { uri: second.url } },
        { name: "c", broker: "other", filter: {}, subscriber: { uri: second.url } },
      ],
      delivery: { retry: 3, backoffPolicy: "linear", backoffDelay: "PT0.01S" },
      resolve: () => undefined,
    });
    await broker.start();
    closers.push(() => broker.stop());
    // Structured mode in; binary mode out.
    const event = new CloudEvent({ id: "e1", source: "/bridge", type: "io.example.in", data: { n: 7 } });
    const structured = HTTP.structured(event);
    expect(
      await post(broker.url, {
        headers: structured.headers as Record<string, string>,
        body: structured.body as string,
      }),
    ).toBe(202);
    await waitFor(() => second.received.length === 1);
    // The subscriber has the event before the Broker has its answer: the count follows a moment later.
    await waitFor(() => broker.counts.delivered === 2);
    expect(first.received).toHaveLength(3);
    expect(first.received[2]?.headers["ce-id"]).toBe("e1");
    expect(JSON.parse(first.received[2]?.body ?? "{}")).toEqual({ n: 7 });
    expect(second.received[0]?.headers["ce-type"]).toBe("io.example.reply");
    expect(broker.counts).toMatchObject({ accepted: 2, delivered: 2, retried: 2, replies: 1, dropped: 0 });
    expect(await post(broker.url, { headers: { "content-type": "application/json" }, body: "{}" })).toBe(400);
  });

  it("sends to the dead-letter sink after the retries, with the failure's extensions; a 400 is not retried", async () => {
    const failing = await subscriber([500]);
    const refusing = await subscriber([400]);
    const deadLetters = await subscriber([202]);
    closers.push(failing.close, refusing.close, deadLetters.close);
    const broker = new KnativeBroker({
      name: "vvcu",
      host: "127.0.0.1",
      triggers: [
        { name: "f", broker: "vvcu", filter: { type: "io.example.f" }, subscriber: { uri: failing.url } },
        {
          name: "r",
          broker: "vvcu",
          filter: { type: "io.example.r" },
          subscriber: { ref: { kind: "Service", name: "refusing" } },
        },
      ],
      delivery: {
        retry: 2,
        backoffPolicy: "exponential",
        backoffDelay: "PT0.01S",
        deadLetterSink: { uri: deadLetters.url },
      },
      resolve: (ref) => (ref.name === "refusing" ? refusing.url : undefined),
    });
    await broker.start();
    closers.push(() => broker.stop());
    for (const type of ["io.example.f", "io.example.r"]) {
      const message = HTTP.binary(new CloudEvent({ id: type, source: "/t", type, data: {} }));
      await post(broker.url, {
        headers: message.headers as Record<string, string>,
        body: message.body as string,
      });
    }
    await waitFor(() => deadLetters.received.length === 2);
    expect(failing.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    const dead = deadLetters.received.find((r) => r.headers["ce-id"] === "io.example.f");
    expect(dead?.headers["ce-knativeerrorcode"]).toBe("500");
    expect(dead?.headers["ce-knativeerrordest"]).toBe(failing.url);
    expect(Buffer.from(String(dead?.headers["ce-knativeerrordata"]), "base64").toString()).toBe("busy");
    expect(broker.counts).toMatchObject({ deadLettered: 2, retried: 2, delivered: 0 });
  });
});
