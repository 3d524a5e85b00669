/**
 * The twin CNF process (charts/vvcu-twin, FUNCTION_TARGET=twin-cnf): one station's twin host
 * in a MEC. It serves the MEC's TwinHostApi over HTTP (server.ts) on the MEC's twin store
 * (REDIS_URL, shared with the MEC's twin function), answers /ready for its own station, and at
 * start hydrates that station from VVCU_HYDRATE_FROM when a migration placed it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config.ts";
import { componentLogger } from "../log.ts";
import { errorMessage } from "../runtime/timing.ts";
import { twinServiceFromConfig } from "./fromConfig.ts";
import type { TwinHostApi } from "./remote/host.ts";
import { type HydrateFromUrlOptions, hydrateFromUrl } from "./remote/hydrate.ts";
import { twinHostHandler } from "./remote/server.ts";

export interface TwinCnf {
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Settles when the start-up hydration is over (at once when there is none); never rejects. */
  started: Promise<"hydrated" | "fresh" | "failed">;
  close(): Promise<void>;
}

/** Serves `host` for `station`, hydrating it first when `hydrateFrom` is given. */
export function startTwinCnf(
  host: TwinHostApi,
  station: string,
  hydrateFrom: string | undefined,
  options: HydrateFromUrlOptions = {},
): Pick<TwinCnf, "handler" | "started"> {
  const log = componentLogger("twin-cnf", { twin: station, mec: host.mec });
  // In memory: a restarted twin CNF answers with no record, and its driver falls back to what it
  // can find without one.
  const handler = twinHostHandler(host, { station, deployment: { value: undefined } });
  if (!hydrateFrom) return { handler, started: Promise.resolve("fresh") };
  const started = hydrateFromUrl(host, station, hydrateFrom, options).then(
    (snapshot) => {
      log.info({ sequence: snapshot.twin.sequence, from: hydrateFrom }, "twin hydrated from its source");
      return "hydrated" as const;
    },
    (error: unknown) => {
      // /ready stays 503: the driver's wait times out and the migration rolls back.
      log.error({ err: errorMessage(error), from: hydrateFrom }, "twin not hydrated");
      return "failed" as const;
    },
  );
  return { handler, started };
}

export function twinCnfFromConfig(config: Config, options: HydrateFromUrlOptions = {}): TwinCnf {
  if (!config.VVCU_TWIN_ID) throw new Error("VVCU_TWIN_ID is not set: the twin CNF must know its station");
  const configured = twinServiceFromConfig(config);
  const cnf = startTwinCnf(configured.service, config.VVCU_TWIN_ID, config.VVCU_HYDRATE_FROM, options);
  return { ...cnf, close: () => configured.close() };
}
