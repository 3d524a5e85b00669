import { describe, expect, it } from "vitest";
import { twinOptions } from "../../../../functions/lib/twin/state/options.ts";
import { applyEvent } from "../../../../functions/lib/twin/state/reducer.ts";
import { type MemoryTombstones, MemoryTwinStore } from "../../../../functions/lib/twin/store/memoryStore.ts";
import { RELEASED_GRACE_MS, type TwinUpdate } from "../../../../functions/lib/twin/store/store.ts";
import { cam, T0 } from "../messages.ts";
import { sharedMemoryBackend } from "./memoryBackend.ts";
import { storeContract } from "./storeContract.ts";

storeContract("memory", sharedMemoryBackend());

describe("memory store tombstones, on the store's clock", () => {
  const context = { mec: "mec-a", nowMs: T0, options: twinOptions() };
  const camUpdate = (id: string, sequence: number): TwinUpdate => ({
    id,
    updater: (current) => applyEvent(current, cam(id, sequence), `${id}-${sequence}`, context).record,
  });

  it("refuses the twin until the grace period is over, then writes it again", async () => {
    let now = 1_000_000;
    const store = new MemoryTwinStore(new Map(), new Map(), new Map(), () => now);
    await store.updateMany([camUpdate("car", 1)]);
    await store.release("car");
    now += RELEASED_GRACE_MS - 1;
    const refused = camUpdate("car", 2);
    expect(await store.updateMany([refused])).toEqual([undefined]);
    expect(refused.released).toBe(true);
    now += 1;
    const accepted = camUpdate("car", 3);
    const [record] = await store.updateMany([accepted]);
    expect(accepted.released).toBeUndefined();
    expect(record?.twin.messages.cam).toBe(1);
  });

  it("sweeps expired tombstones when it releases, so the map stays as small as the grace period allows", async () => {
    let now = 1_000_000;
    const swept: MemoryTombstones = new Map();
    const store = new MemoryTwinStore(new Map(), new Map(), swept, () => now);
    await store.release("a", 100);
    await store.release("b", 300);
    expect([...swept]).toEqual([
      ["a", 1_000_100],
      ["b", 1_000_300],
    ]);
    now += 200;
    await store.release("c", 100);
    expect([...swept.keys()]).toEqual(["b", "c"]);
  });
});
