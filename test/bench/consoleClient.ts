/**
 * A console's load on the stack, for the e2e bench: a client that stays connected to
 * GET /api/v1/events and reads every event, as the page does (VVCU_BENCH_E2E_CONSOLE=1).
 */
import { SseParser } from "../../functions/lib/console/page/sseParser.ts";

export interface ConsoleClient {
  /** Events read so far, by name. */
  counts(): Record<string, number>;
  close(): Promise<void>;
}

export async function connectConsoleClient(apiUrl: string): Promise<ConsoleClient> {
  const controller = new AbortController();
  const response = await fetch(`${apiUrl}/api/v1/events`, {
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(24 * 3600_000)]),
  });
  if (!response.ok || response.body === null) throw new Error(`GET /api/v1/events: ${response.status}`);
  const counts: Record<string, number> = {};
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reading = (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        for (const { event, data } of parser.push(decoder.decode(chunk, { stream: true }))) {
          JSON.parse(data);
          counts[event] = (counts[event] ?? 0) + 1;
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return {
    counts: () => ({ ...counts }),
    async close() {
      controller.abort();
      await reading;
    },
  };
}

/** Whether the bench keeps a console client connected (VVCU_BENCH_E2E_CONSOLE=1). */
export function consoleClientWanted(): boolean {
  const text = process.env.VVCU_BENCH_E2E_CONSOLE ?? "";
  if (text === "" || text === "0") return false;
  if (text === "1") return true;
  throw new Error(
    `VVCU_BENCH_E2E_CONSOLE: 1 keeps a console client on /api/v1/events, 0 or unset not; got "${text}"`,
  );
}
