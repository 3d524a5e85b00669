/** Where the manager finds twins: one directory over the twin hosts of all MECs. */

import type { Twin } from "../model/twin.ts";
import type { PlacementRegistry } from "../runtime/placement.ts";

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
 * twin. The copy at its home counts (placement registry), else a stable copy over one that is
 * migrating. Twins without a home yet are listed from wherever they are.
 */
export function directoryOverHosts(
  sources: Map<string, TwinSource>,
  placement?: Pick<PlacementRegistry, "homeOf">,
): TwinDirectory {
  const rank = (twin: Twin) => {
    const home = placement?.homeOf(twin.id);
    return (home !== undefined && twin.mec === home ? 2 : 0) + (twin.status === "stable" ? 1 : 0);
  };
  const better = (current: Twin | undefined, candidate: Twin | undefined): Twin | undefined => {
    if (current === undefined) return candidate;
    if (candidate === undefined) return current;
    return rank(candidate) > rank(current) ? candidate : current;
  };
  return {
    async list() {
      const all = await Promise.all([...sources.values()].map((source) => source.twins()));
      const byId = new Map<string, Twin>();
      for (const twin of all.flat()) byId.set(twin.id, better(byId.get(twin.id), twin) as Twin);
      return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
    },
    async get(id) {
      const copies = await Promise.all([...sources.values()].map((source) => source.twin(id)));
      return copies.reduce<Twin | undefined>(better, undefined);
    },
  };
}
