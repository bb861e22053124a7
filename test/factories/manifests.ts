/**
 * Builders for manifest tests: objects, policies, repository trees and YAML streams, so tests
 * say only what matters to them.
 */
import { stringify } from "yaml";
import { ManifestSetError } from "../../lib/errors.ts";
import type { ManifestPolicy } from "../../lib/manifests/check-policy.ts";
import type { DesiredObject, KubeObject } from "../../lib/manifests/kube-object.ts";
import { loadManifests } from "../../lib/manifests/load-manifests.ts";

type ObjectOptions = { namespace?: string; labels?: Record<string, string> };

function metadata(name: string, options: ObjectOptions): KubeObject["metadata"] {
  return {
    name,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
  };
}

export function aConfigMap(
  name = "settings",
  options: ObjectOptions & { data?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata(name, options),
    data: options.data ?? { mode: "fast" },
  };
}

export function aDeployment(name = "web", options: ObjectOptions & { replicas?: number } = {}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(name, options),
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: "nginx:1.27" }] },
      },
    },
  };
}

export function aSecret(
  name = "credentials",
  options: ObjectOptions & { data?: Record<string, string>; stringData?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(name, options),
    type: "Opaque",
    ...(options.data === undefined ? {} : { data: options.data }),
    ...(options.stringData === undefined ? {} : { stringData: options.stringData }),
  };
}

export function aNamespace(name = "team-a"): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

/** A policy allowing everything in namespace `team-a`, 1 MiB per object. */
export function aManifestPolicy(overrides: Partial<ManifestPolicy> = {}): ManifestPolicy {
  return { namespaces: ["team-a"], deniedKinds: [], maxObjectBytes: 1024 * 1024, ...overrides };
}

/** A repository tree as the source port delivers it: path → bytes. */
export function aFileTree(files: Record<string, string | Uint8Array>): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  return new Map(
    Object.entries(files).map(([path, content]) => [
      path,
      typeof content === "string" ? encoder.encode(content) : content,
    ]),
  );
}

/** Multi-document YAML: objects are stringified, strings are taken as written. */
export function aYamlStream(...documents: (KubeObject | string)[]): string {
  // YAML 1.1, as the loader reads it: a plain `yes` or `0644` must stay a string.
  return documents
    .map((doc) => `---\n${typeof doc === "string" ? doc : stringify(doc, { version: "1.1" })}`)
    .join("");
}

/** Loads a tree with the default policy at the repository root unless told otherwise. */
export function loadTree(
  files: Record<string, string | Uint8Array>,
  options: { targetPath?: string; policy?: Partial<ManifestPolicy> } = {},
): DesiredObject[] {
  return loadManifests({
    files: aFileTree(files),
    targetPath: options.targetPath ?? ".",
    policy: aManifestPolicy(options.policy),
  });
}

/** The ManifestSetError a load throws, or a failure if it does not throw one. */
export function loadTreeErrors(
  files: Record<string, string | Uint8Array>,
  options: { targetPath?: string; policy?: Partial<ManifestPolicy> } = {},
): ManifestSetError {
  try {
    loadTree(files, options);
  } catch (error) {
    if (error instanceof ManifestSetError) return error;
    throw error;
  }
  throw new Error("expected loading to fail with a ManifestSetError");
}

/** 1-based line of the `occurrence`-th line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.includes(needle) && ++seen === occurrence) return i + 1;
  }
  throw new Error(`"${needle}" occurs fewer than ${occurrence} times`);
}

/** 1-based line where document `index` of an aYamlStream starts (the line after its `---`). */
export function documentLine(stream: string, index: number): number {
  return lineOf(stream, "---", index + 1) + 1;
}
