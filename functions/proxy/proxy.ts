/**
 * The proxy function from its dependencies: the one wiring that the functions-framework entry point
 * (index.ts) and the embedded stack share.
 */
import type { DashboardPublisher } from "../lib/proxy/publisher.ts";
import { ProxyService } from "../lib/proxy/service.ts";
import type { Topology } from "../lib/topology.ts";

export interface ProxyDependencies {
  topology: Topology;
  publisher: DashboardPublisher;
}

export function proxyFunction({ topology, publisher }: ProxyDependencies): ProxyService {
  return new ProxyService({ publisher, mecs: topology.mecs.map((mec) => mec.id) });
}
