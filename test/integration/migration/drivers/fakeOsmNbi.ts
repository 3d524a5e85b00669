/**
 * An OSM NBI stand-in on 127.0.0.1 answering with the real NBI's paths, shapes and status
 * codes: tokens, NS descriptors, VIM accounts, ns_instances_content (201 {id, nslcmop_id}),
 * ns_lcm_op_occs and ns_instances state progressions, terminate (202 {id}), delete (204),
 * and errors as {code, status, detail}. Records every request.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";

export interface NbiRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

interface Ns {
  _id: string;
  id: string;
  name: string;
  nsState: string;
  "detailed-status": string;
  /** States the next GETs show, one per GET; the last one stays. */
  upcoming: string[];
}

interface Op {
  _id: string;
  id: string;
  nsInstanceId: string;
  lcmOperationType: "instantiate" | "terminate";
  operationState: string;
  "detailed-status": string;
  upcoming: string[];
}

const error = (status: number, code: string, detail: string) => ({ code, status, detail });

/**
 * What OSM's LCM does behind the NBI: installs an NS's KDUs into the VIM's Kubernetes cluster and
 * uninstalls them. With it, an operation stays PROCESSING (and the NS BUILDING or TERMINATING)
 * until the work is done, then COMPLETED (READY), or FAILED (BROKEN) with the error.
 */
export interface OsmLcm {
  instantiate(nsId: string, request: Record<string, unknown>): Promise<void>;
  terminate(nsId: string): Promise<void>;
}

export interface FakeOsmNbiOptions {
  host?: string;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
  lcm?: OsmLcm;
}

export class FakeOsmNbi {
  readonly requests: NbiRecord[] = [];
  readonly instances = new Map<string, Ns>();
  readonly operations = new Map<string, Op>();
  readonly validTokens = new Set<string>();
  credentials = { username: "vvcu", password: "pw", project_id: "vvcu-project" };
  /** Progressions given to new instances and operations. */
  instantiateStates = ["PROCESSING", "COMPLETED"];
  instantiateDetail = "done";
  nsStates = ["BUILDING", "READY"];
  nsDetail = "";
  terminateStates = ["PROCESSING", "COMPLETED"];
  /** Answers the next request matching method and path prefix with this error instead. */
  readonly failures: { method: string; path: string; status: number; code: string; detail: string }[] = [];
  private counter = 0;
  private server: http.Server | https.Server | undefined;
  /** NS id -> the instantiation request, for the LCM's terminate. */
  readonly requestsByNs = new Map<string, Record<string, unknown>>();
  url = "";

  constructor(private readonly options: FakeOsmNbiOptions = {}) {}

  async start(): Promise<void> {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const [status, body] = this.answer(request, text);
        if (body === undefined) response.writeHead(status).end();
        else response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
    };
    const { host = "127.0.0.1", tls } = this.options;
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => this.server?.listen(0, host, resolve));
    const scheme = tls ? "https" : "http";
    this.url = `${scheme}://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Runs the LCM's work for an operation: held in its first state until the work settles. */
  private work(op: Op, ns: Ns, job: Promise<void>, done: { op: string; ns: string }): void {
    op.upcoming = [op.operationState];
    ns.upcoming = [ns.nsState];
    job.then(
      () => {
        op.upcoming = [done.op];
        ns.upcoming = [done.ns];
      },
      (failure: unknown) => {
        op.upcoming = ["FAILED"];
        op["detailed-status"] = String(failure);
        ns.upcoming = ["BROKEN"];
        ns["detailed-status"] = String(failure);
      },
    );
  }

  /** What OSM does when a token's lifetime ends. */
  expireTokens(): void {
    this.validTokens.clear();
  }

  calls(): string[] {
    return this.requests.map(({ method, path }) => `${method} ${path}`);
  }

  private next(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter.toString().padStart(4, "0")}`;
  }

  private advance<T extends { upcoming: string[] }>(item: T, field: "nsState" | "operationState"): T {
    const state = item.upcoming.length > 1 ? item.upcoming.shift() : item.upcoming[0];
    if (state !== undefined) (item as Record<string, unknown>)[field] = state;
    return item;
  }

  private answer(request: http.IncomingMessage, text: string): [number, unknown] {
    const url = new URL(request.url ?? "/", this.url);
    const method = request.method ?? "GET";
    const path = url.pathname;
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      body,
    });

    if (method === "POST" && path === "/osm/admin/v1/tokens") {
      const { username, password, project_id } = body ?? {};
      const c = this.credentials;
      if (username !== c.username || password !== c.password || project_id !== c.project_id) {
        return [401, error(401, "UNAUTHORIZED", "Invalid username or password")];
      }
      const token = this.next("token");
      this.validTokens.add(token);
      const now = Date.now() / 1000;
      return [200, { issued_at: now, expires: now + 3600, _id: token, id: token, project_id, username }];
    }
    const token = request.headers.authorization?.replace(/^Bearer /, "");
    if (!token || !this.validTokens.has(token)) {
      return [401, error(401, "UNAUTHORIZED", "Expired Token or Authorization HTTP header")];
    }
    const failure = this.failures.findIndex((f) => f.method === method && path.startsWith(f.path));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      if (f) return [f.status, error(f.status, f.code, f.detail)];
    }

    if (method === "GET" && path === "/osm/nsd/v1/ns_descriptors") {
      const all = [
        { _id: "6b0f8f2a-nsd", id: "vvcu_twin_ns", name: "vvcu_twin_ns", "vnfd-id": ["vvcu_twin_knf"] },
      ];
      const id = url.searchParams.get("id");
      return [200, id ? all.filter((nsd) => nsd.id === id) : all];
    }
    if (method === "GET" && path === "/osm/admin/v1/vim_accounts") {
      return [
        200,
        [
          { _id: "4a44-vim-a", name: "mec-a-vim", vim_type: "dummy" },
          { _id: "5b55-vim-b", name: "mec-b-vim", vim_type: "dummy" },
        ],
      ];
    }
    if (method === "POST" && path === "/osm/nslcm/v1/ns_instances_content") {
      if (body?.nsdId !== "6b0f8f2a-nsd")
        return [404, error(404, "NOT_FOUND", `nsd '${String(body?.nsdId)}' not found`)];
      const nsId = this.next("ns");
      const opId = this.next("op");
      const [firstNs, ...restNs] = this.nsStates;
      this.instances.set(nsId, {
        _id: nsId,
        id: nsId,
        name: String(body.nsName),
        nsState: firstNs ?? "BUILDING",
        "detailed-status": this.nsDetail,
        upcoming: [firstNs ?? "BUILDING", ...restNs],
      });
      const op = this.op(opId, nsId, "instantiate", this.instantiateStates, this.instantiateDetail);
      this.operations.set(opId, op);
      this.requestsByNs.set(nsId, body);
      const lcm = this.options.lcm;
      if (lcm) {
        const ns = this.instances.get(nsId) as Ns;
        this.work(op, ns, lcm.instantiate(nsId, body), { op: "COMPLETED", ns: "READY" });
      }
      return [201, { id: nsId, nslcmop_id: opId }];
    }
    const opMatch = /^\/osm\/nslcm\/v1\/ns_lcm_op_occs\/([^/]+)$/.exec(path);
    if (method === "GET" && opMatch?.[1]) {
      const op = this.operations.get(opMatch[1]);
      if (!op) return [404, error(404, "NOT_FOUND", `nslcmops '${opMatch[1]}' not found`)];
      const { upcoming: _hidden, ...shown } = this.advance(op, "operationState");
      if (op.lcmOperationType === "terminate" && op.operationState === "COMPLETED") {
        const ns = this.instances.get(op.nsInstanceId);
        if (ns) ns.nsState = "NOT_INSTANTIATED";
      }
      return [200, shown];
    }
    if (method === "GET" && path === "/osm/nslcm/v1/ns_instances") {
      const name = url.searchParams.get("name");
      const all = [...this.instances.values()].map(({ upcoming: _hidden, ...ns }) => ns);
      return [200, name ? all.filter((ns) => ns.name === name) : all];
    }
    const nsMatch = /^\/osm\/nslcm\/v1\/ns_instances\/([^/]+)(\/terminate)?$/.exec(path);
    if (nsMatch?.[1]) {
      const ns = this.instances.get(nsMatch[1]);
      if (!ns) return [404, error(404, "NOT_FOUND", `nsrs '${nsMatch[1]}' not found`)];
      if (method === "GET" && !nsMatch[2]) {
        const { upcoming: _hidden, ...shown } = this.advance(ns, "nsState");
        return [200, shown];
      }
      if (method === "POST" && nsMatch[2]) {
        const opId = this.next("op");
        ns.nsState = "TERMINATING";
        ns.upcoming = ["TERMINATING"];
        const op = this.op(opId, ns._id, "terminate", this.terminateStates, "terminated");
        this.operations.set(opId, op);
        const lcm = this.options.lcm;
        if (lcm) this.work(op, ns, lcm.terminate(ns._id), { op: "COMPLETED", ns: "TERMINATING" });
        return [202, { id: opId }];
      }
      if (method === "DELETE" && !nsMatch[2]) {
        if (ns.nsState !== "NOT_INSTANTIATED") {
          return [
            409,
            error(409, "CONFLICT", `nsr '${ns._id}' cannot be deleted because it is in state ${ns.nsState}`),
          ];
        }
        this.instances.delete(ns._id);
        return [204, undefined];
      }
    }
    return [405, error(405, "METHOD_NOT_ALLOWED", `${method} ${path} is not served here`)];
  }

  private op(id: string, nsId: string, type: Op["lcmOperationType"], states: string[], detail: string): Op {
    return {
      _id: id,
      id,
      nsInstanceId: nsId,
      lcmOperationType: type,
      operationState: states[0] ?? "PROCESSING",
      "detailed-status": detail,
      upcoming: [...states],
    };
  }
}
