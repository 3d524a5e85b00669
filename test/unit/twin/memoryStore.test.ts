import { type MemoryParking, MemoryTwinStore } from "../../../functions/lib/twin/memoryStore.ts";
import type { TwinRecord } from "../../../functions/lib/twin/store.ts";
import { storeContract } from "./storeContract.ts";

let records = new Map<string, TwinRecord>();
let parking: MemoryParking = new Map();

storeContract("memory", {
  reset: async () => {
    records = new Map();
    parking = new Map();
  },
  open: async () => new MemoryTwinStore(records, parking),
});
