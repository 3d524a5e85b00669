/**
 * The manager API (docs/architecture.md "Manager API") as one node `(req, res)` handler: it runs under
 * functions-framework (`functions.http("manager", handler)`) and under `http.createServer`.
 * Bad input is always a 4xx with `{error}`; a 500 means a bug.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { z } from "zod";
import { consoleRoutes } from "../console/routes.ts";
import { componentLogger, type Logger } from "../log.ts";
import { registry as defaultRegistry, metrics } from "../metrics.ts";
import type { MigrationControl } from "../migration/engine/engine.ts";
import type { MigrationRequest } from "../model/migration.ts";
import type { Twin } from "../model/twin.ts";
import { accessRefusal } from "../runtime/auth.ts";
import type { HomeRegistry } from "../runtime/homeRegistry.ts";
import { HttpError, metricsReply, type Reply, type Route, readJson, send } from "../runtime/http.ts";
import { traceparentOrNew } from "../tracing.ts";
import { currentHazards } from "../twin/state/hazardQuery.ts";
import { historyParts } from "../twin/state/history.ts";
import { selectTwins } from "../twin/state/twinQuery.ts";
import type { TwinDirectory } from "./directory.ts";
import { EventStream } from "./eventStream.ts";
import { figuresOf, markerOf } from "./liveFeed.ts";
import { API_PREFIX, MigrationBodySchema, openApiDocument } from "./openapi.ts";
import {
  areaOf,
  HazardQueryParamsSchema,
  HISTORY_FIELDS,
  HistoryQueryParamsSchema,
  parseParams,
  twinQueryOf,
} from "./queryParams.ts";

export interface ManagerOptions {
  twins: TwinDirectory;
  /** The MECs of the topology, with their zones for the console's map. */
  mecs: { id: string; name?: string; zone?: unknown }[];
  /** Where twins live; without it (a cluster's manager) the MEC in each twin record is its home. */
  homes?: Pick<HomeRegistry, "homeOf" | "twinsAt">;
  migrations: MigrationControl;
  /** When set, every path but /health needs `Authorization: Bearer <token>` (auth.ts). */
  apiToken?: string;
  /** The API listens on loopback only: requests must name this machine (auth.ts). */
  loopbackOnly?: boolean;
  metricsRegistry?: Registry;
  /** Messages rejected so far, for the live figures, where this process can know it. */
  rejectedMessages?: () => number;
  /** Street map tiles for the console ({z}/{x}/{y} URL); without it the map has a plain background. */
  consoleTileUrl?: string;
  consoleTileAttribution?: string;
  /** How often the event stream reads the state (and so at most how often it reports a twin). */
  eventIntervalMs?: number;
  version?: string;
  newMigrationId?: () => string;
  now?: () => Date;
  logger?: Logger;
}

export type ManagerHandler = ((req: IncomingMessage, res: ServerResponse) => Promise<void>) & {
  /** Ends the event streams (their connections would keep a closing server open). */
  close(): void;
};

export function createManagerHandler(options: ManagerOptions): ManagerHandler {
  const logger = options.logger ?? componentLogger("manager");
  const metricsRegistry = options.metricsRegistry ?? defaultRegistry;
  const document = openApiDocument(options.version ?? "0.1.0");
  const newMigrationId = options.newMigrationId ?? (() => `man-${randomUUID()}`);
  const now = options.now ?? (() => new Date());
  const mecIds = new Set(options.mecs.map((mec) => mec.id));
  const json = (body: unknown, status = 200): Reply => ({ status, body });
  const events = new EventStream({
    read: readFeed,
    ...(options.eventIntervalMs === undefined ? {} : { intervalMs: options.eventIntervalMs }),
    logger,
  });

  const routes: Route[] = [
    { name: "/health", method: "GET", pattern: /^\/health$/, handle: async () => json({ status: "ok" }) },
    {
      name: "/openapi.json",
      method: "GET",
      pattern: /^\/openapi\.json$/,
      handle: async () => json(document),
    },
    ...consoleRoutes({
      ...(options.consoleTileUrl === undefined ? {} : { tileUrl: options.consoleTileUrl }),
      ...(options.consoleTileAttribution === undefined
        ? {}
        : { tileAttribution: options.consoleTileAttribution }),
    }),
    {
      name: "/metrics",
      method: "GET",
      pattern: /^\/metrics$/,
      handle: () => metricsReply(metricsRegistry),
    },
    {
      name: "/api/v1/twins",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/twins$`),
      handle: async (_match, _req, url) => {
        if (url.search === "") return json(await options.twins.list());
        const query = twinQueryOf(url.searchParams);
        const neighbours = query.fields === undefined || query.fields.includes("neighbours");
        const page = selectTwins(await options.twins.candidates(query, { neighbours }), query);
        return page.next === undefined
          ? json(page.twins)
          : { ...json(page.twins), headers: nextPage(url, page.next) };
      },
    },
    {
      name: "/api/v1/twins/{id}/history",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/twins/([^/]+)/history$`),
      handle: async ([id], _req, url) => {
        const params = parseParams(HistoryQueryParamsSchema, url.searchParams);
        const sinceMs = params.since ?? 0;
        const untilMs = params.until ?? now().getTime();
        if (sinceMs > untilMs) throw new HttpError(400, 'query parameter "since": must not be after until');
        const twin = await existingTwin(pathParam(id));
        const data = (await options.twins.history(twin.id, sinceMs, untilMs)) ?? { samples: [], objects: [] };
        return json({ id: twin.id, mec: twin.mec, ...historyParts(data, params.fields ?? HISTORY_FIELDS) });
      },
    },
    {
      name: "/api/v1/hazards",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/hazards$`),
      handle: async (_match, _req, url) => {
        const area = areaOf(parseParams(HazardQueryParamsSchema, url.searchParams));
        return json(currentHazards(await options.twins.list(), area, now().getTime()));
      },
    },
    {
      name: "/api/v1/twins/{id}",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/twins/([^/]+)$`),
      handle: async ([id]) => json(await existingTwin(pathParam(id))),
    },
    {
      name: "/api/v1/mecs",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/mecs$`),
      handle: async () => {
        const twinsAt = await membership();
        return json(
          options.mecs.map((mec) => ({
            id: mec.id,
            name: mec.name ?? mec.id,
            twins: twinsAt(mec.id).sort((a, b) => a.localeCompare(b, "en", { numeric: true })),
          })),
        );
      },
    },
    {
      name: "/api/v1/zones",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/zones$`),
      handle: async () =>
        json({
          type: "FeatureCollection",
          features: options.mecs
            .filter((mec) => mec.zone !== undefined)
            .map((mec) => ({
              type: "Feature",
              id: mec.id,
              properties: { id: mec.id, name: mec.name ?? mec.id },
              geometry: mec.zone,
            })),
        }),
    },
    {
      name: "/api/v1/events",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/events$`),
      // A live view of every twin: behind the token when one is set, as every path but /health.
      handle: async () => {
        if (!events.hasRoom())
          throw new HttpError(503, "too many event stream clients", { "Retry-After": "5" });
        return { status: 200, body: null, stream: (res) => events.attach(res) };
      },
    },
    {
      name: "/api/v1/migrations",
      method: "GET",
      pattern: new RegExp(`^${API_PREFIX}/migrations$`),
      handle: async (_match, _req, url) => {
        const twin = url.searchParams.get("twin");
        return json(await options.migrations.list(twin === null ? {} : { twin }));
      },
    },
    {
      name: "/api/v1/twins/{id}/migrations",
      method: "POST",
      pattern: new RegExp(`^${API_PREFIX}/twins/([^/]+)/migrations$`),
      handle: async ([id], req) => {
        const twin = await existingTwin(pathParam(id));
        const body = MigrationBodySchema.safeParse(await readJson(req, '{"target": "<mec id>"}'));
        if (!body.success) throw new HttpError(400, `bad body: ${z.prettifyError(body.error)}`);
        const { target } = body.data;
        if (!mecIds.has(target)) throw new HttpError(400, `unknown target MEC "${target}"`);
        const from = options.homes?.homeOf(twin.id) ?? twin.mec;
        if (from === target) throw new HttpError(400, `twin ${twin.id} already lives at ${target}`);
        const request: MigrationRequest = {
          id: newMigrationId(),
          twin: twin.id,
          from,
          to: target,
          trigger: "manual",
          reason: "manual",
          requestedAt: now().toISOString(),
        };
        // A migration asked for without a trace starts one, so its lines share a trace id.
        const outcome = await options.migrations.request(request, {
          traceparent: traceparentOrNew(headerValue(req.headers.traceparent)),
        });
        switch (outcome.kind) {
          case "started":
          case "duplicate":
            return json(outcome.migration, 202);
          case "conflict":
            throw new HttpError(409, `migration ${outcome.migration.id} of twin ${twin.id} is running`);
          case "rejected":
            throw new HttpError(400, outcome.error);
        }
      },
    },
  ];

  async function membership(listed?: Twin[]): Promise<(mec: string) => string[]> {
    const homes = options.homes;
    if (homes !== undefined) return (mec) => homes.twinsAt(mec);
    const twins = listed ?? (await options.twins.list());
    return (mec) => twins.filter((twin) => twin.mec === mec).map((twin) => twin.id);
  }

  async function readFeed() {
    const [twins, migrations] = await Promise.all([options.twins.list(), options.migrations.list()]);
    const twinsAt = await membership(twins);
    const mecs = options.mecs.map((mec) => ({ id: mec.id, twins: twinsAt(mec.id).length }));
    return {
      twins: twins.map(markerOf),
      migrations,
      figures: figuresOf(twins, mecs, migrations, options.rejectedMessages?.()),
    };
  }

  async function existingTwin(id: string) {
    const twin = await options.twins.get(id);
    if (twin === undefined) throw new HttpError(404, `no twin "${id}"`);
    return twin;
  }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://manager.invalid");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const matching = routes
      .map((route) => ({ route, match: route.pattern.exec(path) }))
      .filter((r) => r.match);
    const found = matching.find(({ route }) => route.method === req.method);
    const routeName = found?.route.name ?? (matching[0]?.route.name || "unknown");
    let reply: Reply;
    let headers: Record<string, string> = {};
    try {
      // Before the routes: without the token, not even whether a path exists is told.
      const refused = accessRefusal({ method: req.method, path, headers: req.headers }, options.apiToken, {
        loopbackOnly: options.loopbackOnly === true,
      });
      if (refused !== undefined) throw new HttpError(refused.status, refused.message, refused.headers);
      if (matching.length === 0) throw new HttpError(404, `no such path: ${path}`);
      if (found === undefined || found.match === null) {
        const allow = matching.map(({ route }) => route.method).join(", ");
        throw new HttpError(405, `method ${req.method} not allowed on ${path}`, { Allow: allow });
      }
      reply = await found.route.handle(found.match.slice(1), req, url);
    } catch (error) {
      if (error instanceof HttpError) {
        reply = { status: error.status, body: { error: error.message } };
        headers = error.headers;
      } else {
        logger.error({ err: error, path, method: req.method }, "manager API request failed");
        reply = { status: 500, body: { error: "internal error" } };
      }
    }
    metrics.apiRequests.inc({ route: routeName, status: String(reply.status) });
    if (reply.stream !== undefined) reply.stream(res);
    else send(res, reply, headers);
  };
  return Object.assign(handler, { close: () => events.close() });
}

function pathParam(raw: string | undefined): string {
  try {
    const value = decodeURIComponent(raw ?? "");
    if (value === "") throw new Error("empty");
    return value;
  } catch {
    throw new HttpError(400, `bad path parameter: ${raw}`);
  }
}

/** Where the next page is: the cursor, and the same request with it (RFC 8288 Link). */
function nextPage(url: URL, cursor: string): Record<string, string> {
  const next = new URLSearchParams(url.searchParams);
  next.set("cursor", cursor);
  return { "X-Next-Cursor": cursor, Link: `<${url.pathname}?${next.toString()}>; rel="next"` };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
