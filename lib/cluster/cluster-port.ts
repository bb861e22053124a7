/**
 * The cluster port: the Kubernetes operations the sync engine needs, with named options.
 * The adapter (`kube-cluster-client.ts`) implements it over HTTPS; tests may wrap it (e.g. to
 * fail after N writes) without mocking any module.
 */
import type { KubeObject } from "../manifests/kube-object.ts";

/** A served resource: what an apiVersion + kind maps to, and whether it lives in a namespace. */
export type ApiResource = {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in URLs (`deployments`). */
  resource: string;
  namespaced: boolean;
};

/** Read-only view of the server's discovery document. */
export type DiscoveryIndex = {
  /** The resource serving `apiVersion` + `kind`, or undefined when the server does not serve it. */
  resolve(options: { apiVersion: string; kind: string }): ApiResource | undefined;
  /** The preferred served version of a group-kind, or undefined when the group-kind is not served. */
  preferred(options: { group: string; kind: string }): ApiResource | undefined;
  /** Served `group/version` and `group/version/Kind` strings (core: `v1`, `v1/Pod`), as Helm's `.Capabilities.APIVersions` lists them. */
  apiVersions?: readonly string[];
  /** The preferred version of every served group-kind that can be listed. */
  listable: readonly ApiResource[];
};

/** Requests sent by one client, by class. Dry-run requests are never counted as writes. */
export type RequestCounts = {
  /** GET / LIST (including each LIST page and discovery documents). */
  reads: number;
  /** Mutating requests that were not dry-run (PATCH / DELETE). */
  writes: number;
  /** Mutating requests sent with `dryRun=All`. */
  dryRuns: number;
  /** LIST pages among `reads`. */
  listPages: number;
};

/** Where one object lives. `namespace` is ignored for cluster-scoped resources. */
export type ObjectLocation = {
  resource: ApiResource;
  namespace?: string | undefined;
  name: string;
};

export type ListOptions = {
  resource: ApiResource;
  /** Required for namespaced resources (the worker identity cannot list across namespaces). */
  namespace?: string | undefined;
  /** Label selector; empty lists everything (used for the adoption check of a first sync). */
  labelSelector: string;
  /** `limit` of each page; the adapter follows `continue` tokens until the list is complete. */
  pageSize?: number;
  /**
   * What to keep of each item, applied as its page arrives (undefined drops it), so a long list
   * never holds more than one page of whole objects. Default: the item as served.
   */
  keep?: ((item: KubeObject) => KubeObject | undefined) | undefined;
  signal?: AbortSignal | undefined;
};

export type ApplyOptions = {
  resource: ApiResource;
  object: KubeObject;
  /** Server-side apply `force`: take ownership of fields another manager owns. */
  force: boolean;
  /** `dryRun=All`: validate (schema, admission, RBAC, conflicts) without persisting. */
  dryRun: boolean;
  /**
   * `object` (default): the server answers with the whole object. `metadata`: only its metadata
   * (a PartialObjectMetadata), which spares the server encoding and the client decoding it.
   */
  answer?: "object" | "metadata";
  /**
   * The field manager to apply as (default `pullbridge`). Only the hand-over of a field to the
   * controller that owns it uses another (`pullbridge-handover`, see lib/sync/ignore-fields.ts).
   */
  fieldManager?: string | undefined;
  signal?: AbortSignal | undefined;
};

export type CreateOptions = {
  resource: ApiResource;
  object: KubeObject;
  /** `dryRun=All`: validate (schema, admission, RBAC, quota) without creating. */
  dryRun: boolean;
  signal?: AbortSignal | undefined;
};

export type DeleteOptions = ObjectLocation & {
  /** Precondition: only delete the object with this uid (never a same-named replacement). */
  uid?: string | undefined;
  signal?: AbortSignal | undefined;
};

/** The operations pullbridge performs on a cluster. Every method counts the requests it sends. */
export type ClusterPort = {
  /** API server URL (identifies the cluster for caches and messages). */
  readonly server: string;
  /** Aggregated discovery, cached per server for the life of the process; `refresh` re-reads it (after CRDs). */
  discover(options?: { refresh?: boolean; signal?: AbortSignal | undefined }): Promise<DiscoveryIndex>;
  /** The server's `gitVersion` (`v1.36.3`) from `/version`, for Helm's `.Capabilities.KubeVersion`; optional for decorators and fakes. */
  serverVersion?(options?: { signal?: AbortSignal | undefined }): Promise<string>;
  /** Every object matching the label selector, following pagination; `pages` is the number of LIST requests. */
  list(options: ListOptions): Promise<{ items: KubeObject[]; pages: number }>;
  /** The object, or undefined when it does not exist. */
  get(options: ObjectLocation & { signal?: AbortSignal | undefined }): Promise<KubeObject | undefined>;
  /** Server-side apply with field manager `pullbridge`; returns the object the server answered with. */
  apply(options: ApplyOptions): Promise<KubeObject>;
  /**
   * Creates the object (POST, field manager `pullbridge`, not server-side apply): hooks are
   * created, never applied, so an object of the same name is never changed; preview environments
   * use RBAC's `create` without `patch`, so an identity may make new objects of a kind without
   * being able to change existing ones. `exists` when the name is taken. Optional for decorators
   * and fakes that never create.
   */
  create?(options: CreateOptions): Promise<KubeObject | "exists">;
  /** Deletes with propagation Background; `gone` when the object no longer existed (or was replaced). */
  delete(options: DeleteOptions): Promise<"deleted" | "gone">;
  /** The ApplySet parent Secret, or undefined when it does not exist yet. */
  getApplySetParent(options: {
    namespace: string;
    name: string;
    signal?: AbortSignal | undefined;
  }): Promise<KubeObject | undefined>;
  /**
   * Server-side applies the ApplySet parent (forced: pullbridge owns it). When `parent` carries
   * `metadata.resourceVersion` the write is conditional; a 409 is a retryable ClusterError.
   */
  applyApplySetParent(options: {
    parent: KubeObject;
    dryRun?: boolean;
    signal?: AbortSignal | undefined;
  }): Promise<KubeObject>;
  /** A snapshot of the requests this client has sent so far. */
  requestCounts(): RequestCounts;
  /**
   * Releases the client's connections (its keep-alive agent) once the requests in flight are
   * done; later requests fail with a retryable ClusterError (class `closed`). Whoever created the
   * client closes it when replacing it. Optional so wrappers (progress, counting, fault
   * injection) need not forward it; the adapter always implements it.
   */
  close?(): Promise<void>;
};

/** Difference between two request-count snapshots (`after - before`). */
export function subtractRequestCounts(after: RequestCounts, before: RequestCounts): RequestCounts {
  return {
    reads: after.reads - before.reads,
    writes: after.writes - before.writes,
    dryRuns: after.dryRuns - before.dryRuns,
    listPages: after.listPages - before.listPages,
  };
}

/** The field manager pullbridge writes as; the plan reads its managedFields entry. */
export const FIELD_MANAGER = "pullbridge";
