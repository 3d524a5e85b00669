/**
 * The twin CNF (charts/vvcu-twin, FUNCTION_TARGET=twin-cnf): one station's twin host in a MEC,
 * serving its TwinHostApi, /health and /ready over HTTP (functions/lib/twin/cnf.ts).
 */
import * as functions from "@google-cloud/functions-framework";
import { loadConfig } from "../lib/config.ts";
import { componentLogger } from "../lib/log.ts";
import { sendError } from "../lib/runtime/http.ts";
import { lazily } from "../lib/runtime/lazy.ts";
import { errorMessage } from "../lib/runtime/timing.ts";
import { twinCnfFromConfig } from "../lib/twin/cnf.ts";

/**
 * The kubelet's first readiness probe comes as the container starts, so hydration starts then,
 * not later.
 */
const cnf = lazily(() => {
  const running = twinCnfFromConfig(loadConfig());
  process.once("SIGTERM", () => void closeTwinCnfFunction());
  return running;
});

functions.http("twin-cnf", async (req, res) => {
  try {
    (await cnf.get()).handler(req, res);
  } catch (error: unknown) {
    // A bad environment: every probe fails with the reason, and the pod's log says it once per probe.
    componentLogger("twin-cnf").error({ err: errorMessage(error) }, "twin CNF not configured");
    sendError(res, error);
  }
});

/** For tests: stops the twin service this module built. */
export async function closeTwinCnfFunction(): Promise<void> {
  const running = await cnf.reset()?.catch(() => undefined);
  await running?.close();
}
