/** The HTTP delivery adapter against a local sink: binary mode, overrides, the sink's answers, reused connections. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CloudEvent } from "cloudevents";
import { afterEach, describe, expect, it } from "vitest";
import { httpTransport, parseCeOverrides } from "../../../functions/lib/runtime/emit/httpTransport.ts";
import { SinkError } from "../../../functions/lib/runtime/emit/sink.ts";
import { freePort } from "../../helpers/servers.ts";

const event = new CloudEvent({
  id: "e-1",
  type: "io.vvcu.cits.cam.received",
  source: "/vvcu/mec-a/bridge",
  subject: "7",
  datacontenttype: "application/json",
  data: { speed: 3 },
  vvcumsgtype: "cam",
});

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: number;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups.length = 0;
});

async function sinkAnswering(
  answer: (response: http.ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Map<unknown, number>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (!sockets.has(request.socket)) sockets.set(request.socket, sockets.size);
      seen.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
        socket: sockets.get(request.socket) ?? -1,
      });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
}

describe("parseCeOverrides", () => {
  it("reads Knative's extensions and rejects what is not one", () => {
    expect(parseCeOverrides('{"extensions":{"cluster":"edge-1","zone":3}}')).toEqual({
      cluster: "edge-1",
      zone: "3",
    });
    expect(parseCeOverrides(undefined)).toEqual({});
    expect(() => parseCeOverrides("{nope")).toThrow("K_CE_OVERRIDES is not JSON");
    expect(() => parseCeOverrides('{"extensions":{"Bad-Name":"x"}}')).toThrow(
      "not a CloudEvents attribute name",
    );
  });
});

describe("httpTransport", () => {
  it("posts binary mode with the overrides, over kept-alive connections", async () => {
    const sink = await sinkAnswering((response) => response.writeHead(202).end());
    const delivery = httpTransport({ url: sink.url, overrides: { cluster: "edge-1" } });
    cleanups.push(() => delivery.close());
    for (let index = 0; index < 6; index++) await delivery.emit(event);
    expect(sink.seen).toHaveLength(6);
    const [first] = sink.seen;
    expect(first?.headers).toMatchObject({
      "ce-id": "e-1",
      "ce-type": "io.vvcu.cits.cam.received",
      "ce-source": "/vvcu/mec-a/bridge",
      "ce-subject": "7",
      "ce-specversion": "1.0",
      "ce-vvcumsgtype": "cam",
      "ce-cluster": "edge-1",
      "content-type": "application/json",
    });
    expect(JSON.parse(first?.body ?? "")).toEqual({ speed: 3 });
    // One after another: the pool may hand the next event to a second connection while the first
    // finishes its answer, but never opens one per event.
    expect(new Set(sink.seen.map((seen) => seen.socket)).size).toBeLessThanOrEqual(2);
  });

  it("says a 400 is final and carries the sink's answer", async () => {
    const sink = await sinkAnswering((response) => response.writeHead(400).end("subject must be numeric"));
    const delivery = httpTransport({ url: sink.url });
    cleanups.push(() => delivery.close());
    const failure = await delivery.emit(event).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SinkError);
    expect(failure).toMatchObject({ retryable: false, status: 400, body: "subject must be numeric" });
  });

  it("says 429 and 503 are worth retrying, with the sink's Retry-After", async () => {
    let status = 429;
    const sink = await sinkAnswering((response) =>
      response.writeHead(status, { "retry-after": "2" }).end("busy"),
    );
    const delivery = httpTransport({ url: sink.url });
    cleanups.push(() => delivery.close());
    await expect(delivery.emit(event)).rejects.toMatchObject({
      retryable: true,
      status: 429,
      retryAfterMs: 2000,
    });
    status = 503;
    await expect(delivery.emit(event)).rejects.toMatchObject({ retryable: true, status: 503 });
  });

  it("says an unreachable or silent sink is worth retrying", async () => {
    const closedPort = await freePort();
    const unreachable = httpTransport({ url: `http://127.0.0.1:${closedPort}/` });
    cleanups.push(() => unreachable.close());
    await expect(unreachable.emit(event)).rejects.toMatchObject({ retryable: true, status: undefined });

    const silent = await sinkAnswering(() => {});
    const slow = httpTransport({ url: silent.url, timeoutMs: 200 });
    cleanups.push(() => slow.close());
    const failure = await slow.emit(event).catch((error: unknown) => error);
    expect(failure).toMatchObject({ retryable: true });
    expect((failure as Error).message).toContain("no answer from the sink within 200 ms");
  });

  it("says an event that cannot be written as HTTP is final, without sending it", async () => {
    const sink = await sinkAnswering((response) => response.writeHead(202).end());
    const delivery = httpTransport({ url: sink.url });
    cleanups.push(() => delivery.close());
    const broken = new CloudEvent({ id: "e-2", type: "t", source: "/s", note: "line\nbreak" }, false);
    await expect(delivery.emit(broken)).rejects.toMatchObject({ retryable: false, status: undefined });
    expect(sink.seen).toHaveLength(0);
  });

  it("refuses a sink URL that is not http(s)", () => {
    expect(() => httpTransport({ url: "ftp://example/" })).toThrow("K_SINK must be an http(s) URL");
  });
});
