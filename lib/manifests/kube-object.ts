/**
 * The object model shared by manifest loading, planning and apply: a Kubernetes object as
 * written in Git, where it came from, and its identity.
 */

/** A Kubernetes object as plain JSON (what is written in Git, or read from the API). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
};

export type KubeMetadata = {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  [field: string]: unknown;
};

/** Where a desired object was written: file path relative to the repository root (as GitHub annotations need), document index (0-based), line:column (1-based). */
export type ManifestSource = { file: string; document: number; line: number; column: number };

/**
 * Fields of an object that hold decrypted values (SOPS), as JSON pointers (`/data/password`).
 * They are masked in every diff and report; `sealed`: a preview's placeholders stand there, and
 * the object's `pullbridge.dev/encrypted-values` annotation tells which ciphertexts changed.
 */
export type SensitiveFields = { readonly pointers: readonly string[]; readonly sealed: boolean };

/** An object from Git, validated, with its origin (and its decrypted fields, when SOPS-encrypted). */
export type DesiredObject = {
  object: KubeObject;
  source: ManifestSource;
  sensitive?: SensitiveFields | undefined;
};

/** `apps/v1` → { group: "apps", version: "v1" }; `v1` → { group: "", version: "v1" }. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash === -1
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `Deployment.apps`, or `ConfigMap` for the core group — the ApplySet group-kind form is `Kind.group`. */
export function groupKindOf(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  const { group } = parseApiVersion(object.apiVersion);
  return group ? `${object.kind}.${group}` : object.kind;
}

/** Identity of an object regardless of version: group, kind, namespace and name. */
export function objectKey(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
  const { group } = parseApiVersion(object.apiVersion);
  return `${group}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** Human-readable identity for messages: `Deployment.apps team-a/web`, `Namespace team-a`. */
export function describeObject(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">): string {
  const ns = object.metadata.namespace;
  return `${groupKindOf(object)} ${ns ? `${ns}/` : ""}${object.metadata.name}`;
}
