/** Where the manager finds twins: one directory over the twin hosts of all MECs. */

import type { TwinHistoryData } from "../model/history.ts";
import type { Twin } from "../model/twin.ts";
import type { HomeRegistry } from "../runtime/homeRegistry.ts";
import { compareIds, type TwinFilter } from "../twin/state/twinQuery.ts";

export interface TwinDirectory {
  list(): Promise<Twin[]>;
  get(id: string): Promise<Twin | undefined>;
  /**
   * The twins that may lie in the filter's area, each once (a superset: the caller checks the
   * area exactly); from each MEC's spatial index where it has one, else all of that MEC's twins.
   * `neighbours: false`: the answer will not show them, so a spatial index need not work them
   * out (a few microseconds a twin, most of a `near` query's cost).
   */
  candidates(filter: TwinFilter, options?: { neighbours?: boolean }): Promise<Twin[]>;
  /** The twin's history, from the copy the directory answers for; undefined when unknown. */
  history(id: string, sinceMs: number, untilMs: number): Promise<TwinHistoryData | undefined>;
}

/** What a MEC's twin host offers for reading (TwinService has these; a store has the first two). */
export interface TwinSource {
  twins(): Promise<Twin[]>;
  twin(id: string): Promise<Twin | undefined>;
  /** The twins in the area, from a spatial index (at least those; maybe more); neighbours unless false. */
  twinsInArea?(area: Pick<TwinFilter, "bbox" | "near">, options?: { neighbours?: boolean }): Promise<Twin[]>;
  historyOf?(id: string, sinceMs: number, untilMs: number): Promise<TwinHistoryData | undefined>;
}

/**
 * The twins of every MEC, each once: during a migration source and target both hold the
 * twin. The copy at its home counts (home registry), else a stable copy over one that is
 * migrating. Twins without a home yet are listed from wherever they are.
 */
function withoutUndefined(area: { bbox?: TwinFilter["bbox"]; near?: TwinFilter["near"] }) {
  const defined: Pick<TwinFilter, "bbox" | "near"> = {};
  if (area.bbox) defined.bbox = area.bbox;
  if (area.near) defined.near = area.near;
  return defined;
}

export function directoryOverHosts(
  sources: Map<string, TwinSource>,
  homes?: Pick<HomeRegistry, "homeOf">,
): TwinDirectory {
  const rank = (twin: Twin) => {
    const home = homes?.homeOf(twin.id);
    return (home !== undefined && twin.mec === home ? 2 : 0) + (twin.status === "stable" ? 1 : 0);
  };
  const better = (current: Twin | undefined, candidate: Twin | undefined): Twin | undefined => {
    if (current === undefined) return candidate;
    if (candidate === undefined) return current;
    return rank(candidate) > rank(current) ? candidate : current;
  };
  const eachOnce = (all: Twin[][]): Twin[] => {
    const byId = new Map<string, Twin>();
    for (const twin of all.flat()) byId.set(twin.id, better(byId.get(twin.id), twin) as Twin);
    return [...byId.values()];
  };
  return {
    async list() {
      const twins = eachOnce(await Promise.all([...sources.values()].map((source) => source.twins())));
      return twins.sort((a, b) => compareIds(a.id, b.id));
    },
    async get(id) {
      const copies = await Promise.all([...sources.values()].map((source) => source.twin(id)));
      return copies.reduce<Twin | undefined>(better, undefined);
    },
    async candidates(filter, options) {
      const area = filter.bbox || filter.near ? { bbox: filter.bbox, near: filter.near } : undefined;
      const answers = await Promise.all(
        [...sources.values()].map((source) =>
          area && source.twinsInArea ? source.twinsInArea(withoutUndefined(area), options) : source.twins(),
        ),
      );
      return eachOnce(answers);
    },
    async history(id, sinceMs, untilMs) {
      // The copy the directory answers for holds the history (a migrating twin's source until the switch).
      const entries = [...sources.entries()];
      const copies = await Promise.all(entries.map(([, source]) => source.twin(id)));
      const chosen = copies.reduce<Twin | undefined>(better, undefined);
      if (chosen === undefined) return undefined;
      const source = entries[copies.indexOf(chosen)]?.[1];
      return source?.historyOf?.(id, sinceMs, untilMs);
    },
  };
}
