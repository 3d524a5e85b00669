/** The embedded MQTT broker (Aedes) that `vvcu start` runs when MQTT_URL is not set. */
import net from "node:net";
import { Aedes } from "aedes";
import { listenOrExplain } from "./startupErrors.ts";

export interface EmbeddedBroker {
  /** The broker itself, for in-process subscribers and publishers. */
  aedes: Aedes;
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(port: number, host = "127.0.0.1"): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  try {
    await listenOrExplain(server, port, host, "embedded MQTT broker", "MQTT_PORT");
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const actualPort = (server.address() as net.AddressInfo).port;
  return {
    aedes: broker,
    url: `mqtt://127.0.0.1:${actualPort}`,
    port: actualPort,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
