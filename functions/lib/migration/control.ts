/**
 * The migration function's one HTTP entry point: Knative delivers `migration.requested`
 * CloudEvents to it, and the manager (in a cluster) lists and requests migrations through
 * `GET /migrations[?twin=]` and `POST /migrations` (a MigrationRequest), answered with the
 * engine's RequestOutcome: 202 started, 200 duplicate, 409 conflict, 400 rejected.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HTTP } from "cloudevents";
import { z } from "zod";
import { componentLogger } from "../log.ts";
import { MigrationRequestSchema } from "../model/migration.ts";
import { accessRefusal } from "../runtime/auth.ts";
import { HttpError, type Reply, readBody, readJson, send } from "../runtime/http.ts";
import type { MigrationEngine, RequestOutcome } from "./engine/engine.ts";

const STATUS_OF_OUTCOME: Record<RequestOutcome["kind"], number> = {
  started: 202,
  duplicate: 200,
  conflict: 409,
  rejected: 400,
};

export function statusOfOutcome(outcome: RequestOutcome): number {
  return STATUS_OF_OUTCOME[outcome.kind];
}

function isCloudEvent(req: IncomingMessage): boolean {
  return (
    req.headers["ce-type"] !== undefined || /application\/cloudevents/.test(req.headers["content-type"] ?? "")
  );
}

export function migrationControlHandler(
  engine: Pick<MigrationEngine, "handleEvent" | "request" | "list">,
  /**
   * When set, the manager's calls need it (auth.ts). Knative's deliveries of CloudEvents carry
   * no token: who may send those is the cluster's network policy's to say.
   */
  options: { apiToken?: string } = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const logger = componentLogger("migration");
  return async (req, res) => {
    let reply: Reply;
    let headers: Record<string, string> = {};
    try {
      reply = await route(req);
    } catch (error) {
      if (error instanceof HttpError) {
        reply = { status: error.status, body: { error: error.message } };
        headers = error.headers;
      } else {
        logger.error({ err: error }, "migration control request failed");
        reply = { status: 500, body: { error: "internal error" } };
      }
    }
    send(res, reply, headers);
  };

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://migration.invalid");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (req.method === "POST" && isCloudEvent(req)) {
      const body = await readBody(req);
      let event: ReturnType<typeof HTTP.toEvent>;
      try {
        event = HTTP.toEvent({ headers: req.headers, body: body.toString("utf8") });
      } catch (error) {
        throw new HttpError(400, `not a CloudEvent: ${(error as Error).message}`);
      }
      if (Array.isArray(event)) throw new HttpError(400, "batched CloudEvents are not accepted");
      const outcome = await engine.handleEvent(event);
      // Duplicates and conflicts are acknowledged: redelivering them would change nothing.
      return { status: outcome?.kind === "started" ? 202 : 200, body: outcome ?? { kind: "ignored" } };
    }
    const refused = accessRefusal({ method: req.method, path, headers: req.headers }, options.apiToken);
    if (refused !== undefined) throw new HttpError(refused.status, refused.message, refused.headers);
    if (path === "/migrations" && req.method === "GET") {
      const twin = url.searchParams.get("twin");
      return { status: 200, body: await engine.list(twin === null ? {} : { twin }) };
    }
    if (path === "/migrations" && req.method === "POST") {
      const parsed = MigrationRequestSchema.safeParse(await readJson(req, "a MigrationRequest"));
      if (!parsed.success) throw new HttpError(400, `bad body: ${z.prettifyError(parsed.error)}`);
      const traceparent = req.headers.traceparent;
      const outcome = await engine.request(parsed.data, {
        traceparent: typeof traceparent === "string" ? traceparent : undefined,
      });
      return { status: statusOfOutcome(outcome), body: outcome };
    }
    if (path === "/health" && req.method === "GET") return { status: 200, body: { status: "ok" } };
    throw new HttpError(404, `no such path: ${req.method} ${path}`);
  }
}
