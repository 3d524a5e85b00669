/**
 * Names to ids in OSM's catalog: the NS descriptor and VIM accounts (cached: they do not
 * change under a running system). NS instances are never looked up by name: OSM does not keep
 * their names unique, so the driver acts only on the ids it recorded.
 */
import type { NbiClient } from "./osmNbi.ts";

type Named = { _id?: string; id?: string; name?: string };

export class OsmCatalog {
  private readonly resolved = new Map<string, string>();

  constructor(private readonly nbi: NbiClient) {}

  /** The `_id` of the NS descriptor with this id or name. */
  async nsdId(nsd: string, signal: AbortSignal): Promise<string> {
    return this.resolve(`nsd:${nsd}`, signal, {
      operation: "nsd-list",
      path: "/osm/nsd/v1/ns_descriptors",
      params: { id: nsd },
      matches: (item) => item.id === nsd || item.name === nsd || item._id === nsd,
      missing: `OSM has no NS descriptor "${nsd}" (onboard osm/build/vvcu_twin_ns.tar.gz)`,
    });
  }

  /** The `_id` of the VIM account with this name or id. */
  async vimAccountId(name: string, signal: AbortSignal): Promise<string> {
    return this.resolve(`vim:${name}`, signal, {
      operation: "vim-list",
      path: "/osm/admin/v1/vim_accounts",
      matches: (item) => item.name === name || item._id === name,
      missing: `OSM has no VIM account "${name}"`,
    });
  }

  private async resolve(
    key: string,
    signal: AbortSignal,
    lookup: {
      operation: string;
      path: string;
      params?: Record<string, string>;
      matches: (item: Named) => boolean;
      missing: string;
    },
  ): Promise<string> {
    const cached = this.resolved.get(key);
    if (cached) return cached;
    const { data } = await this.nbi.request<Named[]>({
      operation: lookup.operation,
      method: "GET",
      path: lookup.path,
      params: lookup.params,
      expect: [200],
      signal,
    });
    const found = (Array.isArray(data) ? data : []).find(lookup.matches)?._id;
    if (!found) throw new Error(lookup.missing);
    this.resolved.set(key, found);
    return found;
  }
}
