/**
 * Aggregated discovery (KEP-3352): two requests (`/api`, `/apis`) describe every served
 * group, version, resource, kind and scope. Cached per API server for the life of the process
 * (a warm Lambda reuses it) and refreshed explicitly after CRDs are applied.
 */
import { ClusterError } from "../errors.ts";
import { parseApiVersion } from "../manifests/kube-object.ts";
import { clusterErrorFromResponse, type KubeTransport } from "./adapters/kube-http-transport.ts";
import type { ApiResource, DiscoveryIndex } from "./cluster-port.ts";

/** Ask for v2, accept v2beta1 (servers 1.26–1.29), and plain JSON tells us the server has neither. */
const AGGREGATED_ACCEPT = [
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
  "application/json",
].join(",");

type GroupDiscovery = {
  metadata?: { name?: string };
  versions?: Array<{
    version: string;
    resources?: Array<{
      resource: string;
      responseKind?: { group?: string; version?: string; kind?: string };
      scope?: "Namespaced" | "Cluster";
      verbs?: string[];
    }>;
  }>;
};

/** Builds an index from APIGroupDiscoveryList documents (`/api` first, then `/apis`). Pure. */
export function createDiscoveryIndex(documents: readonly unknown[]): DiscoveryIndex {
  const byGvk = new Map<string, ApiResource>();
  const preferredByGk = new Map<string, ApiResource>();
  const apiVersions = new Set<string>();
  const listable: ApiResource[] = [];
  for (const doc of documents) {
    const items = (doc as { items?: GroupDiscovery[] }).items ?? [];
    for (const group of items) {
      const groupName = group.metadata?.name ?? "";
      // Versions are listed in preference order; the first that serves a kind is its preferred version.
      for (const version of group.versions ?? []) {
        for (const res of version.resources ?? []) {
          const kind = res.responseKind?.kind;
          if (!kind || res.resource.includes("/")) continue;
          const entry: ApiResource = {
            group: groupName,
            version: version.version,
            kind,
            resource: res.resource,
            namespaced: res.scope === "Namespaced",
          };
          const gvk = `${groupName}/${version.version}/${kind}`;
          const gv = groupName ? `${groupName}/${version.version}` : version.version;
          apiVersions.add(gv).add(`${gv}/${kind}`);
          if (!byGvk.has(gvk)) byGvk.set(gvk, entry);
          const gk = `${groupName}/${kind}`;
          if (!preferredByGk.has(gk)) {
            preferredByGk.set(gk, entry);
            if (res.verbs?.includes("list")) listable.push(entry);
          }
        }
      }
    }
  }
  return {
    resolve: ({ apiVersion, kind }) => {
      const { group, version } = parseApiVersion(apiVersion);
      return byGvk.get(`${group}/${version}/${kind}`);
    },
    preferred: ({ group, kind }) => preferredByGk.get(`${group}/${kind}`),
    apiVersions: [...apiVersions].sort(),
    listable,
  };
}

/** Module-level: one discovery document per API server, shared by every client in the process. */
const cache = new Map<string, Promise<DiscoveryIndex>>();

/** Fetches aggregated discovery for the transport's server, from cache unless `refresh`. */
export async function loadDiscovery(options: {
  transport: KubeTransport;
  refresh?: boolean;
  signal?: AbortSignal | undefined;
}): Promise<DiscoveryIndex> {
  const { transport, refresh = false, signal } = options;
  const cached = cache.get(transport.server);
  if (cached && !refresh) return await cached;
  const loading = fetchDiscovery(transport, signal);
  cache.set(transport.server, loading);
  try {
    return await loading;
  } catch (error) {
    // Never cache a failure: the next sync must try again.
    if (cache.get(transport.server) === loading) cache.delete(transport.server);
    throw error;
  }
}

/** Drops every cached discovery document (tests, or a process that changes clusters). */
export function clearDiscoveryCache(): void {
  cache.clear();
}

async function fetchDiscovery(transport: KubeTransport, signal: AbortSignal | undefined) {
  const documents = await Promise.all(
    ["/api", "/apis"].map(async (path) => {
      const response = await transport.send({
        method: "GET",
        path,
        accept: AGGREGATED_ACCEPT,
        countAs: "read",
        signal,
      });
      if (response.status !== 200) {
        throw clusterErrorFromResponse({ response, operation: `discovery GET ${path}` });
      }
      if (!response.contentType.includes("as=APIGroupDiscoveryList")) {
        throw new ClusterError(
          `discovery GET ${path}: the API server does not serve aggregated discovery (Kubernetes ≥ 1.26 required, got ${response.contentType || "no content type"})`,
          { retryable: false, status: response.status },
        );
      }
      return response.body;
    }),
  );
  return createDiscoveryIndex(documents);
}
