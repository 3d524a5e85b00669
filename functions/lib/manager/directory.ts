/** Where the manager finds twins: one directory over the twin hosts of all MECs. */
import type { PlacementRegistry } from "../runtime/placement.ts";
import type { Twin } from "../twin/model.ts";

export interface TwinDirectory {
  list(): Promise<Twin[]>;
  get(id: string): Promise<Twin | undefined>;
}

/** What a MEC's twin host offers for reading (TwinService has these). */
export interface TwinSource {
  twins(): Promise<Twin[]>;
  twin(id: string): Promise<Twin | undefined>;
}

/**
 * The twins of every MEC, each once: during a migration source and target both hold the
 * twin, and the copy at its home is the one that counts. Twins without a home yet are
 * listed from wherever they are.
 */
export function directoryOverHosts(
  sources: Map<string, TwinSource>,
  placement: PlacementRegistry,
): TwinDirectory {
  const preferred = (current: Twin | undefined, candidate: Twin): Twin => {
    if (current === undefined) return candidate;
    const home = placement.homeOf(candidate.id);
    if (candidate.mec === home && current.mec !== home) return candidate;
    return current;
  };
  return {
    async list() {
      const all = await Promise.all([...sources.values()].map((source) => source.twins()));
      const byId = new Map<string, Twin>();
      for (const twin of all.flat()) byId.set(twin.id, preferred(byId.get(twin.id), twin));
      return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
    },
    async get(id) {
      const home = placement.homeOf(id);
      const atHome = home === undefined ? undefined : await sources.get(home)?.twin(id);
      if (atHome !== undefined) return atHome;
      for (const source of sources.values()) {
        const twin = await source.twin(id);
        if (twin !== undefined) return twin;
      }
      return undefined;
    },
  };
}
