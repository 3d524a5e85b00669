import {
  type MemoryParking,
  type MemoryTombstones,
  MemoryTwinStore,
} from "../../../functions/lib/twin/memoryStore.ts";
import type { TwinRecord } from "../../../functions/lib/twin/store.ts";
import { replicaSuite } from "./replicaSuite.ts";

let records = new Map<string, TwinRecord>();
let parking: MemoryParking = new Map();
let tombstones: MemoryTombstones = new Map();

replicaSuite("memory", {
  reset: async () => {
    records = new Map();
    parking = new Map();
    tombstones = new Map();
  },
  open: async () => new MemoryTwinStore(records, parking, tombstones),
});
