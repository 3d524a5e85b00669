/**
 * A Knative Broker stand-in for one cluster: an ingress that takes CloudEvents over HTTP (binary
 * and structured mode, 202 Accepted), the Triggers of knative/triggers.yaml with their exact-match
 * attribute filters, delivery to each subscriber in binary mode with the Trigger's delivery spec
 * (else the Broker's, knative/broker.yaml): retries with linear or exponential backoff on network
 * errors, 404, 408, 409, 429 and 5xx, then the dead-letter sink (with the knativeerror* extensions)
 * or a drop; an event in a subscriber's reply goes back onto the Broker.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type CloudEvent, HTTP } from "cloudevents";
import { parseAllDocuments } from "yaml";

export interface DeliverySpec {
  retry?: number;
  backoffPolicy?: "linear" | "exponential";
  /** ISO 8601 duration, e.g. PT0.2S. */
  backoffDelay?: string;
  deadLetterSink?: Destination;
}

interface Destination {
  ref?: { kind: string; name: string };
  uri?: string;
}

export interface Trigger {
  name: string;
  broker: string;
  filter: Record<string, string>;
  subscriber: Destination;
  delivery?: DeliverySpec;
}

type Manifest = { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown> };

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((document) => document.toJS() as Manifest);
}

export function readTriggers(file: string): Trigger[] {
  return manifests(file)
    .filter((m) => m.kind === "Trigger")
    .map((m) => {
      const spec = m.spec as {
        broker: string;
        filter?: { attributes?: Record<string, string> };
        subscriber: Destination;
        delivery?: DeliverySpec;
      };
      return {
        name: m.metadata?.name ?? "",
        broker: spec.broker,
        filter: spec.filter?.attributes ?? {},
        subscriber: spec.subscriber,
        ...(spec.delivery ? { delivery: spec.delivery } : {}),
      };
    });
}

export function readBrokerDelivery(file: string, name: string): DeliverySpec {
  const broker = manifests(file).find((m) => m.kind === "Broker" && m.metadata?.name === name);
  return (broker?.spec?.delivery as DeliverySpec | undefined) ?? {};
}

/** Seconds of an ISO 8601 duration of the forms Knative uses (PT0.2S, PT1M, PT1H2M3.5S). */
export function durationMs(text: string): number {
  const match = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(text);
  if (!match) throw new Error(`not an ISO 8601 duration Knative accepts: ${text}`);
  const [, h = "0", m = "0", s = "0"] = match;
  return Math.round((Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000);
}

/** Which answers Knative's dispatcher retries (the others are final). */
export function isRetriable(status: number | undefined): boolean {
  if (status === undefined) return true; // network error or timeout
  return status === 404 || status === 408 || status === 409 || status === 429 || status >= 500;
}

export function backoffMs(delivery: DeliverySpec, attempt: number): number {
  const base = delivery.backoffDelay ? durationMs(delivery.backoffDelay) : 0;
  return delivery.backoffPolicy === "linear" ? base * attempt : base * 2 ** attempt;
}

export interface BrokerOptions {
  name: string;
  /** Address the ingress listens on (the cluster's). */
  host: string;
  triggers: Trigger[];
  delivery: DeliverySpec;
  /** How a subscriber's ref resolves to a URL (Knative's addressable resolution). */
  resolve(ref: { kind: string; name: string }): string | undefined;
  /** Per attempt (Knative's default is none; the functions answer in milliseconds). */
  attemptTimeoutMs?: number;
}

export interface BrokerCounts {
  accepted: number;
  rejected: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  dropped: number;
  replies: number;
}

export class KnativeBroker {
  readonly counts: BrokerCounts = {
    accepted: 0,
    rejected: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    dropped: 0,
    replies: 0,
  };
  /** Events accepted by type, for assertions. */
  readonly acceptedByType = new Map<string, number>();
  private server: http.Server | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  url = "";

  constructor(private readonly options: BrokerOptions) {}

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const status = this.ingest(request.headers, Buffer.concat(chunks));
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, this.options.host, resolve));
    const { port } = this.server.address() as AddressInfo;
    // The ingress path of an MTChannelBasedBroker: /<namespace>/<broker>.
    this.url = `http://${this.options.host}:${port}/default/${this.options.name}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
    await Promise.allSettled([...this.inFlight]);
  }

  /** 202 when the event is valid and taken, 400 when it is not a CloudEvent. */
  private ingest(headers: http.IncomingHttpHeaders, body: Buffer): number {
    let event: CloudEvent<unknown>;
    try {
      const parsed = HTTP.toEvent({ headers, body: body.length > 0 ? body.toString("utf8") : undefined });
      event = (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown>;
      event.validate();
    } catch {
      this.counts.rejected += 1;
      return 400;
    }
    this.counts.accepted += 1;
    this.acceptedByType.set(event.type, (this.acceptedByType.get(event.type) ?? 0) + 1);
    for (const trigger of this.options.triggers) {
      if (trigger.broker !== this.options.name || !matches(trigger.filter, event)) continue;
      const delivery = trigger.delivery ?? this.options.delivery;
      const task = this.dispatch(trigger, delivery, event).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
    return 202;
  }

  private async dispatch(
    trigger: Trigger,
    delivery: DeliverySpec,
    event: CloudEvent<unknown>,
  ): Promise<void> {
    const target = this.address(trigger.subscriber);
    if (target === undefined) {
      this.counts.dropped += 1;
      return;
    }
    let last: { status?: number; body: string } = { body: "" };
    const attempts = 1 + (delivery.retry ?? 0);
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        this.counts.retried += 1;
        await new Promise((resolve) => setTimeout(resolve, backoffMs(delivery, attempt)));
      }
      last = await this.send(target, event);
      if (last.status !== undefined && last.status >= 200 && last.status < 300) return;
      if (!isRetriable(last.status)) break;
    }
    const deadLetter = delivery.deadLetterSink ? this.address(delivery.deadLetterSink) : undefined;
    if (deadLetter === undefined) {
      this.counts.dropped += 1;
      return;
    }
    const failed = event.cloneWith({
      knativeerrordest: target,
      knativeerrorcode: String(last.status ?? 0),
      knativeerrordata: Buffer.from(last.body).toString("base64"),
    });
    this.counts.deadLettered += 1;
    await this.send(deadLetter, failed, false);
  }

  private async send(
    url: string,
    event: CloudEvent<unknown>,
    takeReply = true,
  ): Promise<{ status?: number; body: string }> {
    const message = HTTP.binary(event);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: message.headers as Record<string, string>,
        body: message.body as string,
        signal: AbortSignal.timeout(this.options.attemptTimeoutMs ?? 30_000),
      });
      const body = Buffer.from(await response.arrayBuffer());
      const headers = Object.fromEntries(response.headers);
      if (takeReply && response.ok) this.counts.delivered += 1;
      if (takeReply && response.ok && isCloudEvent(headers)) {
        this.counts.replies += 1;
        this.ingest(headers, body);
      }
      return { status: response.status, body: body.toString("utf8") };
    } catch {
      return { body: "" };
    }
  }

  private address(destination: Destination): string | undefined {
    if (destination.uri) return destination.uri;
    return destination.ref ? this.options.resolve(destination.ref) : undefined;
  }
}

function matches(filter: Record<string, string>, event: CloudEvent<unknown>): boolean {
  const attributes = event as unknown as Record<string, unknown>;
  return Object.entries(filter).every(([name, value]) => attributes[name] === value);
}

function isCloudEvent(headers: Record<string, string>): boolean {
  return (
    headers["ce-id"] !== undefined || (headers["content-type"] ?? "").startsWith("application/cloudevents")
  );
}
