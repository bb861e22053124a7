/**
 * The ClusterPort adapter: Kubernetes REST over the counting keep-alive transport, connected
 * through a `KubeConnection` (EKS / static token) or a client-node `KubeConfig`.
 */
import { describeObject, type KubeObject } from "../../manifests/kube-object.ts";
import { secretRedactor } from "../../manifests/redact-secret-values.ts";
import {
  type ApiResource,
  type ApplyOptions,
  type ClusterPort,
  type CreateOptions,
  type DeleteOptions,
  FIELD_MANAGER,
  type ListOptions,
  type ObjectLocation,
} from "../cluster-port.ts";
import { loadDiscovery } from "../discovery.ts";
import {
  clusterErrorFromResponse,
  createKubeTransport,
  type Impersonation,
  type KubeEndpoint,
  type KubeTransport,
  type KubeTransportOptions,
} from "./kube-http-transport.ts";

export type { Impersonation } from "./kube-http-transport.ts";

/** kubectl's page size: large enough that 1,000 objects of one kind need two pages, small enough to bound memory. */
const DEFAULT_PAGE_SIZE = 500;

/** Server-side transformation to metadata only (errors still come back as a JSON Status). */
const METADATA_ONLY = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

const SECRET: ApiResource = {
  group: "",
  version: "v1",
  kind: "Secret",
  resource: "secrets",
  namespaced: true,
};

/** `/api/v1/namespaces/x/configmaps[/name]` or `/apis/apps/v1/deployments[/name]`. */
function resourcePath(options: {
  resource: ApiResource;
  namespace?: string | undefined;
  name?: string | undefined;
}): string {
  const { resource, namespace, name } = options;
  const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${base}${ns}/${resource.resource}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
}

function apiVersionOf(resource: ApiResource): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

function describeLocation(location: ObjectLocation): string {
  return describeObject({
    apiVersion: apiVersionOf(location.resource),
    kind: location.resource.kind,
    metadata: {
      name: location.name,
      ...(location.resource.namespaced && location.namespace ? { namespace: location.namespace } : {}),
    },
  });
}

function isObject(value: unknown): value is KubeObject {
  return typeof value === "object" && value !== null && "metadata" in value;
}

/** A ClusterPort that owns its connections: `close` is required (the port's is optional for wrappers). */
export type ClusterClient = ClusterPort & { close(): Promise<void> };

/** Builds the ClusterPort over an existing transport (exposed for tests that share one transport). */
export function clusterClientFromTransport(transport: KubeTransport): ClusterClient {
  const list = async (options: ListOptions) => {
    const { resource, namespace, labelSelector, pageSize = DEFAULT_PAGE_SIZE, keep, signal } = options;
    const path = resourcePath({ resource, namespace });
    const items: KubeObject[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const response = await transport.send({
        method: "GET",
        path,
        query: { labelSelector: labelSelector || undefined, limit: String(pageSize), continue: token },
        countAs: "read",
        listPage: true,
        signal,
      });
      pages += 1;
      if (response.status !== 200) {
        throw clusterErrorFromResponse({
          response,
          operation: `list ${resource.resource}${resource.namespaced && namespace ? ` in namespace ${namespace}` : ""}`,
          object: `${resource.group ? `${resource.kind}.${resource.group}` : resource.kind}${resource.namespaced && namespace ? ` in ${namespace}` : ""}`,
        });
      }
      const body = response.body as { items?: KubeObject[]; metadata?: { continue?: string } };
      // List items carry no apiVersion/kind on the wire; restore them so objects are self-describing.
      for (const item of body.items ?? []) {
        item.apiVersion = apiVersionOf(resource);
        item.kind = resource.kind;
        const kept = keep ? keep(item) : item;
        if (kept !== undefined) items.push(kept);
      }
      token = body.metadata?.continue || undefined;
    } while (token);
    return { items, pages };
  };

  const get = async (options: ObjectLocation & { signal?: AbortSignal | undefined }) => {
    const response = await transport.send({
      method: "GET",
      path: resourcePath(options),
      countAs: "read",
      signal: options.signal,
    });
    if (response.status === 404) return undefined;
    if (response.status !== 200 || !isObject(response.body)) {
      throw clusterErrorFromResponse({ response, operation: "get", object: describeLocation(options) });
    }
    return response.body;
  };

  const applyObject = async (options: ApplyOptions & { conflictRetryable?: boolean }) => {
    const { resource, object, force, dryRun, signal } = options;
    const location = { resource, namespace: object.metadata.namespace, name: object.metadata.name };
    const response = await transport.send({
      method: "PATCH",
      path: resourcePath(location),
      query: {
        fieldManager: options.fieldManager ?? FIELD_MANAGER,
        fieldValidation: "Strict",
        force: force ? "true" : undefined,
        dryRun: dryRun ? "All" : undefined,
      },
      // JSON is YAML: the apply-patch content type accepts it as is.
      contentType: "application/apply-patch+yaml",
      ...(options.answer === "metadata" ? { accept: METADATA_ONLY } : {}),
      body: object,
      countAs: dryRun ? "dryRun" : "write",
      signal,
    });
    if ((response.status !== 200 && response.status !== 201) || !isObject(response.body)) {
      throw clusterErrorFromResponse({
        response,
        operation: dryRun ? "server-side apply (dry-run)" : "server-side apply",
        object: describeObject(object),
        conflictRetryable: options.conflictRetryable ?? false,
        // The server echoes refused values; a Secret's must not reach any message.
        redact: secretRedactor(object),
      });
    }
    return response.body;
  };

  const createObject = async (options: CreateOptions): Promise<KubeObject | "exists"> => {
    const { resource, object, dryRun, signal } = options;
    const response = await transport.send({
      method: "POST",
      path: resourcePath({ resource, namespace: object.metadata.namespace }),
      query: {
        fieldManager: FIELD_MANAGER,
        fieldValidation: "Strict",
        dryRun: dryRun ? "All" : undefined,
      },
      body: object,
      countAs: dryRun ? "dryRun" : "write",
      signal,
    });
    const reason = (response.body as { reason?: unknown } | undefined)?.reason;
    if (response.status === 409 && reason === "AlreadyExists") return "exists";
    if (response.status !== 201 && response.status !== 200) {
      throw clusterErrorFromResponse({
        response,
        operation: dryRun ? "create (dry-run)" : "create",
        object: describeObject(object),
        redact: secretRedactor(object),
      });
    }
    return isObject(response.body) ? response.body : object;
  };

  const deleteObject = async (options: DeleteOptions) => {
    const response = await transport.send({
      method: "DELETE",
      path: resourcePath(options),
      body: {
        apiVersion: "v1",
        kind: "DeleteOptions",
        propagationPolicy: "Background",
        ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
      },
      countAs: "write",
      signal: options.signal,
    });
    if (response.status === 200 || response.status === 202) return "deleted" as const;
    // 404: already gone; 409 on a uid precondition: the name now belongs to a different object.
    if (response.status === 404 || (response.status === 409 && options.uid)) return "gone" as const;
    throw clusterErrorFromResponse({ response, operation: "delete", object: describeLocation(options) });
  };

  return {
    server: transport.server,
    discover: async (options = {}) =>
      await loadDiscovery({ transport, refresh: options.refresh ?? false, signal: options.signal }),
    serverVersion: async (options = {}) => {
      const response = await transport.send({
        method: "GET",
        path: "/version",
        countAs: "read",
        signal: options.signal,
      });
      if (response.status !== 200) throw clusterErrorFromResponse({ response, operation: "GET /version" });
      const version = (response.body as { gitVersion?: unknown } | undefined)?.gitVersion;
      return typeof version === "string" ? version : "";
    },
    list,
    get,
    apply: async (options) => await applyObject(options),
    create: createObject,
    delete: deleteObject,
    getApplySetParent: async ({ namespace, name, signal }) =>
      await get({ resource: SECRET, namespace, name, signal }),
    applyApplySetParent: async ({ parent, dryRun = false, signal }) =>
      await applyObject({
        resource: SECRET,
        object: parent,
        force: true,
        dryRun,
        signal,
        conflictRetryable: true,
      }),
    requestCounts: () => transport.counts(),
    close: () => transport.close(),
  };
}

/** Creates a ClusterPort for a connection (or a KubeConfig's current context), optionally impersonating an identity. */
export async function createClusterClient(
  options: KubeEndpoint & {
    impersonate?: Impersonation | undefined;
    maxConnections?: number;
    /** Transport limits (deadline, in-process `Retry-After` waits); defaults suit the worker. */
    transport?: Pick<
      KubeTransportOptions,
      "requestDeadlineMs" | "maxInProcessWaitMs" | "maxInProcessRetries"
    >;
  },
): Promise<ClusterClient> {
  const transport = await createKubeTransport({
    ...("connection" in options ? { connection: options.connection } : { kubeConfig: options.kubeConfig }),
    impersonate: options.impersonate,
    ...(options.maxConnections === undefined ? {} : { maxSockets: options.maxConnections }),
    ...options.transport,
  });
  return clusterClientFromTransport(transport);
}
