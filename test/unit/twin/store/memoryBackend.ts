/**
 * One in-memory backend shared by every store opened on it, as replicas share one Redis: the
 * contract and replica suites open several MemoryTwinStores on it.
 */

import type { TwinRecord } from "../../../../functions/lib/twin/state/records.ts";
import {
  type MemoryParking,
  type MemoryTombstones,
  MemoryTwinStore,
} from "../../../../functions/lib/twin/store/memoryStore.ts";

export function sharedMemoryBackend(): { reset(): Promise<void>; open(): Promise<MemoryTwinStore> } {
  let records = new Map<string, TwinRecord>();
  let parking: MemoryParking = new Map();
  let tombstones: MemoryTombstones = new Map();
  return {
    reset: async () => {
      records = new Map();
      parking = new Map();
      tombstones = new Map();
    },
    open: async () => new MemoryTwinStore(records, parking, tombstones),
  };
}
