/**
 * Serves a TwinHostApi over HTTP (the twin CNF's side of remote.ts). A plain node
 * request listener, so it runs under node:http and under functions-framework (express).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { type TwinDeployment, TwinDeploymentSchema } from "../../model/driver.ts";
import { TWIN_STATUSES, TwinSnapshotSchema } from "../../model/twin.ts";
import { HttpError, readJson, send, sendError } from "../../runtime/http.ts";
import { TWIN_HOST_PATHS } from "./client.ts";
import type { TwinHostApi } from "./host.ts";

export interface TwinHostHandlerOptions {
  /** The CNF's own station: `/ready` answers for it. Unset: `/ready` is 200 when the process is up. */
  station?: string;
  /** When set, mutating calls need `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body accepted (a snapshot with a long trajectory fits easily). */
  maxBodyBytes?: number;
  /**
   * Where the CNF keeps the deployment the driver recorded of its own station (`station`), for a
   * later migration run by another MEC's control plane, whose journal does not have it.
   */
  deployment?: { value: TwinDeployment | undefined };
}

const StatusBodySchema = z.object({ status: z.enum(TWIN_STATUSES) });

function reply(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) response.writeHead(status).end();
  else send(response, { status, body }, {});
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, result.error.issues.map((issue) => issue.message).join("; "));
  return result.data;
}

/** Routes `/twins/:id/<action>` and `/twins/:id`; the id is URL-decoded. */
function route(pathname: string): { twin?: string; action?: string } {
  const match = /^\/twins\/([^/]+)(?:\/([a-z]+))?$/.exec(pathname);
  if (!match?.[1]) return {};
  return { twin: decodeURIComponent(match[1]), action: match[2] };
}

export function twinHostHandler(api: TwinHostApi, options: TwinHostHandlerOptions = {}) {
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;

  async function dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? "GET";
    const { pathname } = new URL(request.url ?? "/", "http://twin-host");
    if (method !== "GET" && options.token !== undefined) {
      if (request.headers.authorization !== `Bearer ${options.token}`)
        throw new HttpError(401, "unauthorized");
    }
    if (method === "GET" && pathname === TWIN_HOST_PATHS.health)
      return reply(response, 200, { status: "ok" });
    if (method === "GET" && pathname === TWIN_HOST_PATHS.ready) {
      const ready = options.station === undefined || (await api.isReady(options.station));
      return reply(response, ready ? 200 : 503, { ready });
    }
    if (method === "POST" && pathname === TWIN_HOST_PATHS.hydrate) {
      await api.hydrate(parse(TwinSnapshotSchema, await readJson(request, "a JSON object", maxBodyBytes)));
      return reply(response, 204);
    }
    const { twin, action } = route(pathname);
    if (twin === undefined) throw new HttpError(404, `no route ${method} ${pathname}`);
    if (method === "GET" && action === "ready") {
      const ready = await api.isReady(twin);
      return reply(response, ready ? 200 : 503, { ready });
    }
    if (method === "GET" && action === "snapshot") {
      const snapshot = await api.snapshot(twin);
      return snapshot === undefined
        ? reply(response, 404, { error: `no twin ${twin}` })
        : reply(response, 200, snapshot);
    }
    if (method === "POST" && action === "expect") {
      await api.expect(twin);
      return reply(response, 204);
    }
    if (method === "POST" && action === "status") {
      const { status } = parse(StatusBodySchema, await readJson(request, "a JSON object", maxBodyBytes));
      await api.setStatus(twin, status);
      return reply(response, 204);
    }
    if (action === "deployment" && options.deployment !== undefined && twin === options.station) {
      if (method === "PUT") {
        const deployment = parse(
          TwinDeploymentSchema,
          await readJson(request, "a JSON object", maxBodyBytes),
        );
        if (deployment.twin !== twin)
          throw new HttpError(400, `a deployment of ${deployment.twin}, not ${twin}`);
        options.deployment.value = deployment;
        return reply(response, 204);
      }
      // Only while the twin lives here: a released or not yet hydrated twin has no deployment.
      if (method === "GET")
        return (await api.isReady(twin))
          ? reply(response, 200, options.deployment.value ?? {})
          : reply(response, 404, { error: `twin ${twin} does not live here` });
    }
    if (method === "DELETE" && action === undefined) {
      await api.release(twin);
      return reply(response, 204);
    }
    throw new HttpError(405, `${method} is not allowed on ${pathname}`);
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    dispatch(request, response).catch((error: unknown) => sendError(response, error));
  };
}
