/**
 * A small client of Prometheus' HTTP API (`/api/v1/query`) for the tests: instant queries as
 * plain samples, and a bounded wait until a query answers what the test expects.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface QueryAnswer {
  status: "success" | "error";
  error?: string;
  data?: {
    resultType: "vector" | "scalar" | "matrix" | "string";
    // Prometheus' JSON: each vector entry is {metric, value: [time, "number"]}; a scalar is [time, "number"].
    result: { metric: Record<string, string>; value: [number, string] }[] | [number, string];
  };
}

/** Evaluates `expr` now; a PromQL error or an unreachable server throws with Prometheus' message. */
export async function instantQuery(prometheusUrl: string, expr: string): Promise<Sample[]> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const answer = (await response.json()) as QueryAnswer;
  if (answer.status !== "success" || answer.data === undefined)
    throw new Error(`Prometheus refused ${expr}: ${answer.error ?? response.status}`);
  const { resultType, result } = answer.data;
  if (resultType === "scalar") {
    const [, value] = result as [number, string];
    return [{ labels: {}, value: Number.parseFloat(value) }];
  }
  if (resultType !== "vector") throw new Error(`${expr} gave a ${resultType}, not an instant vector`);
  return (result as { metric: Record<string, string>; value: [number, string] }[]).map((entry) => ({
    labels: entry.metric,
    value: Number.parseFloat(entry.value[1]),
  }));
}

/** The sum of a query's samples (0 for none), for counters split across labels. */
export async function summed(prometheusUrl: string, expr: string): Promise<number> {
  return (await instantQuery(prometheusUrl, expr)).reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * Polls `probe` until `accept` takes what it returns, at most `timeoutMs`; fails with the last
 * value seen, so a wrong value reads as "expected X, Prometheus had Y".
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = last === undefined ? String(lastError) : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
