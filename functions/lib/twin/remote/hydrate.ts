/**
 * The twin CNF's start (step 3 of a migration, target side): park the station's events,
 * pull the source twin's snapshot from VVCU_HYDRATE_FROM, hydrate. Until then the CNF's
 * /ready answers 503, which is what the drivers wait for.
 */
import axios, { isAxiosError } from "axios";
import { type TwinSnapshot, TwinSnapshotSchema } from "../../model/twin.ts";
import { pollUntil } from "../../runtime/timing.ts";
import type { TwinHostApi } from "./host.ts";

export interface HydrateFromUrlOptions {
  /** Give up after this long (the driver rolls the migration back meanwhile anyway). */
  timeoutMs?: number;
  /** Pause between attempts while the source does not answer. */
  retryIntervalMs?: number;
  /** Timeout of one request. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Hydrates `station` on `host` from the snapshot at `url`. Retries while the source cannot be
 * reached or answers 5xx; fails at once on 404 (the source has no such twin) or a bad snapshot.
 */
export async function hydrateFromUrl(
  host: TwinHostApi,
  station: string,
  url: string,
  options: HydrateFromUrlOptions = {},
): Promise<TwinSnapshot> {
  await host.expect(station);
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const snapshot = await pollUntil<TwinSnapshot>(
    `snapshot of twin ${station} from ${url}`,
    {
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: options.retryIntervalMs ?? 500,
      signal: options.signal ?? new AbortController().signal,
    },
    async (signal) => {
      let answer: { status: number; data: unknown };
      try {
        answer = await axios.get(url, { timeout: requestTimeoutMs, signal, validateStatus: () => true });
      } catch (error) {
        if (isAxiosError(error)) return { waiting: error.code ?? error.message };
        throw error;
      }
      if (answer.status >= 500) return { waiting: `answered ${answer.status}` };
      if (answer.status !== 200)
        throw new Error(`snapshot of twin ${station} from ${url}: answered ${answer.status}`);
      const parsed = TwinSnapshotSchema.safeParse(answer.data);
      if (!parsed.success)
        throw new Error(`snapshot of twin ${station} from ${url} is malformed: ${parsed.error.message}`);
      if (parsed.data.twin.id !== station) {
        throw new Error(`snapshot from ${url} is of twin ${parsed.data.twin.id}, not ${station}`);
      }
      return { done: parsed.data };
    },
  );
  await host.hydrate(snapshot);
  return snapshot;
}
