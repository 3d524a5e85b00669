import { MemoryTwinStore } from "../../../functions/lib/twin/memoryStore.ts";
import type { TwinRecord } from "../../../functions/lib/twin/store.ts";
import { storeContract } from "./storeContract.ts";

let records = new Map<string, TwinRecord>();

storeContract("memory", {
  reset: async () => {
    records = new Map();
  },
  open: async () => new MemoryTwinStore(records),
});
