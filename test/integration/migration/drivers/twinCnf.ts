/** A twin CNF stand-in on 127.0.0.1 (the remote twin host handler over a MemoryTwinHost). */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { twinHostHandler } from "../../../../functions/lib/twin/remote/server.ts";
import { MemoryTwinHost } from "../../../unit/twin/remote/fixtures.ts";

export interface TwinCnf {
  host: MemoryTwinHost;
  url: string;
  close(): Promise<void>;
}

export async function startTwinCnf(mec: string, station: string): Promise<TwinCnf> {
  const host = new MemoryTwinHost(mec);
  const server = http.createServer(twinHostHandler(host, { station }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Resolves once `condition` holds; for stepping through a driver's waits without timing. */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}
