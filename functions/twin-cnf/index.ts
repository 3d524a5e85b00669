/**
 * The twin CNF (charts/vvcu-twin, FUNCTION_TARGET=twin-cnf): one station's twin host in a MEC,
 * serving its TwinHostApi, /health and /ready over HTTP (functions/lib/twin/remote/cnf.ts).
 */
import * as functions from "@google-cloud/functions-framework";
import { loadConfig } from "../lib/config.ts";
import { componentLogger } from "../lib/log.ts";
import { errorMessage } from "../lib/runtime/timing.ts";
import { type TwinCnf, twinCnfFromConfig } from "../lib/twin/cnf.ts";

let cnf: TwinCnf | undefined;

/**
 * Built on the first request, so importing this module never needs the environment. The kubelet's
 * first readiness probe comes as the container starts, so hydration starts then, not later.
 */
function twinCnf(): TwinCnf {
  if (cnf !== undefined) return cnf;
  cnf = twinCnfFromConfig(loadConfig());
  process.once("SIGTERM", () => void closeTwinCnfFunction());
  return cnf;
}

functions.http("twin-cnf", (req, res) => {
  let running: TwinCnf;
  try {
    running = twinCnf();
  } catch (error: unknown) {
    // A bad environment: every probe fails with the reason, and the pod's log says it once per probe.
    componentLogger("twin-cnf").error({ err: errorMessage(error) }, "twin CNF not configured");
    res.status(500).json({ error: errorMessage(error) });
    return;
  }
  running.handler(req, res);
});

/** For tests: stops the twin service this module built. */
export async function closeTwinCnfFunction(): Promise<void> {
  const running = cnf;
  cnf = undefined;
  await running?.close();
}
