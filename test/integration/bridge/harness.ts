/** What the bridge's integration tests share: an in-process Aedes broker, a CloudEvents sink, waiting. */
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { Aedes } from "aedes";
import { type CloudEvent, HTTP } from "cloudevents";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { freePort } from "../../helpers/servers.ts";

export interface TestBroker {
  url: string;
  /** Stops and starts the broker on the same port, keeping its sessions (like Mosquitto's persistence). */
  restart(pauseMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Aedes in this process; a restart keeps the in-memory persistence, as a broker with a disk would. */
export async function startAedes(): Promise<TestBroker> {
  const port = await freePort();
  let broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  const listen = async () => {
    const current = broker;
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      current.handle(socket);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  };
  const stop = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  };
  await listen();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    restart: async (pauseMs = 300) => {
      // Aedes types its persistence as any; the same object carries sessions and queues over.
      const persistence: unknown = (broker as unknown as { persistence: unknown }).persistence;
      await stop();
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      broker = await Aedes.createBroker({ persistence });
      await listen();
    },
    stop,
  };
}

export interface Received {
  event: CloudEvent<unknown>;
  headers: http.IncomingHttpHeaders;
}

export interface TestSink {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A CloudEvents receiver like a function's: parses with the SDK; `respond` picks the status. */
export async function startSink(
  respond: (event: CloudEvent<unknown>) => number | Promise<number> = () => 202,
  answerBody = "",
): Promise<TestSink> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      let event: CloudEvent<unknown>;
      try {
        event = HTTP.toEvent({
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }) as CloudEvent<unknown>;
      } catch (error) {
        response.writeHead(400).end(String(error));
        return;
      }
      const status = await respond(event);
      if (status >= 200 && status < 300) received.push({ event, headers: request.headers });
      response.writeHead(status, { "content-type": "text/plain" }).end(status >= 300 ? answerBody : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 100, connectTimeout: 5_000, ...options });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  return client;
}

/** The sequences of each station as the sink first saw them (redeliveries dropped), and how many repeats. */
export function firstDeliveries(
  received: Received[],
  sequenceOf: (event: CloudEvent<unknown>) => number,
): { perStation: Map<string, number[]>; duplicates: number } {
  const seen = new Set<string>();
  const perStation = new Map<string, number[]>();
  let duplicates = 0;
  for (const { event } of received) {
    if (seen.has(event.id)) {
      duplicates++;
      continue;
    }
    seen.add(event.id);
    const station = event.subject ?? "";
    const list = perStation.get(station) ?? [];
    list.push(sequenceOf(event));
    perStation.set(station, list);
  }
  return { perStation, duplicates };
}
