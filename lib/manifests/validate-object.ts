/**
 * Structural checks on one candidate object: what every object must have before it can be
 * identified, planned and labelled as an ApplySet member. Kind-specific schemas are the API
 * server's job (the whole-set dry-run).
 */
import { hasHookAnnotation, lifecycleAnnotationProblems } from "../lifecycle/lifecycle-annotations.ts";
import type { KubeObject } from "./kube-object.ts";
import { parseApiVersion } from "./kube-object.ts";
import { dns1123LabelProblem, dns1123SubdomainProblem, pathSegmentNameProblem } from "./kubernetes-names.ts";
import type { ObjectIssue } from "./object-issue.ts";

/**
 * Labels and annotations under this prefix are the inventory's (a member's `part-of`, a parent's
 * `id`, `tooling`, `contains-group-kinds`): an object that brings its own would corrupt a set, or
 * pose as an ApplySet parent that later syncs refuse to write.
 */
const APPLYSET_PREFIX = "applyset.kubernetes.io/";

const API_VERSION = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;

/** RBAC names are path segments (`system:aggregate-to-view`), not DNS subdomains. */
const PATH_SEGMENT_NAMED = new Set([
  "rbac.authorization.k8s.io/Role",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/RoleBinding",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
]);

/** Returns the object typed when it is well-formed, or every issue found in it. */
export function validateObject(value: unknown): { object: KubeObject } | { issues: ObjectIssue[] } {
  if (!isRecord(value)) {
    return {
      issues: [
        { path: [], reason: `expected a Kubernetes object (a mapping), found ${describeType(value)}` },
      ],
    };
  }
  const issues: ObjectIssue[] = [];
  const { apiVersion, kind, metadata } = value;

  if (apiVersion === undefined || apiVersion === null) {
    issues.push({ path: [], reason: "apiVersion is required" });
  } else if (typeof apiVersion !== "string") {
    issues.push({
      path: ["apiVersion"],
      reason: `apiVersion must be a string, found ${describeType(apiVersion)}`,
    });
  } else if (!API_VERSION.test(apiVersion)) {
    issues.push({
      path: ["apiVersion"],
      reason: `apiVersion "${apiVersion}" must be \`version\` or \`group/version\``,
    });
  } else if (apiVersion.startsWith("kustomize.config.k8s.io/")) {
    issues.push({
      path: ["apiVersion"],
      reason:
        "Kustomize files are not supported: pullbridge applies plain manifests (commit the rendered output)",
    });
  }

  if (kind === undefined || kind === null) {
    issues.push({ path: [], reason: "kind is required" });
  } else if (typeof kind !== "string") {
    issues.push({ path: ["kind"], reason: `kind must be a string, found ${describeType(kind)}` });
  } else if (!KIND.test(kind)) {
    issues.push({
      path: ["kind"],
      reason: `kind "${kind}" must be a CamelCase identifier such as \`Deployment\``,
    });
  }

  if (metadata === undefined || metadata === null) {
    issues.push({ path: [], reason: "metadata.name is required (metadata is missing)" });
  } else if (!isRecord(metadata)) {
    issues.push({
      path: ["metadata"],
      reason: `metadata must be a mapping, found ${describeType(metadata)}`,
    });
  } else {
    const kindKey =
      typeof apiVersion === "string" && typeof kind === "string"
        ? `${parseApiVersion(apiVersion).group}/${kind}`
        : "";
    issues.push(...validateMetadata(metadata, kindKey));
  }

  if (issues.length > 0) return { issues };
  const meta = metadata as Record<string, unknown>;
  // A hook written with generateName gets its name per commit when it is created (lib/lifecycle);
  // until then it is identified by the prefix.
  if (meta.name === undefined && typeof meta.generateName === "string") {
    return { object: { ...value, metadata: { ...meta, name: meta.generateName } } as KubeObject };
  }
  return { object: value as KubeObject };
}

function validateMetadata(metadata: Record<string, unknown>, groupSlashKind: string): ObjectIssue[] {
  const issues: ObjectIssue[] = [];
  const { name, generateName, namespace, labels, annotations } = metadata;

  const hook = isRecord(annotations) && hasHookAnnotation(annotations);
  if ((name === undefined || name === null) && hook && typeof generateName === "string") {
    const problem = generateName === "" ? "must not be empty" : dns1123SubdomainProblem(`${generateName}x`);
    if (problem) {
      issues.push({
        path: ["metadata", "generateName"],
        reason: `metadata.generateName "${generateName}" ${problem}`,
      });
    }
  } else if (name === undefined || name === null) {
    issues.push(
      generateName === undefined
        ? { path: ["metadata"], reason: "metadata.name is required" }
        : {
            path: ["metadata", "generateName"],
            reason:
              "metadata.generateName without metadata.name is supported only on hooks (pullbridge.dev/hook, argocd.argoproj.io/hook, helm.sh/hook): GitOps needs a stable name to update and prune an object",
          },
    );
  } else if (typeof name !== "string") {
    issues.push({
      path: ["metadata", "name"],
      reason: `metadata.name must be a string, found ${describeType(name)}`,
    });
  } else {
    const problem =
      groupSlashKind === "/Namespace"
        ? dns1123LabelProblem(name)
        : PATH_SEGMENT_NAMED.has(groupSlashKind)
          ? name === ""
            ? "must not be empty"
            : pathSegmentNameProblem(name)
          : dns1123SubdomainProblem(name);
    if (problem) issues.push({ path: ["metadata", "name"], reason: `metadata.name "${name}" ${problem}` });
  }

  if (namespace !== undefined && namespace !== null) {
    if (typeof namespace !== "string") {
      issues.push({
        path: ["metadata", "namespace"],
        reason: `metadata.namespace must be a string, found ${describeType(namespace)}`,
      });
    } else if (namespace === "") {
      issues.push({
        path: ["metadata", "namespace"],
        reason: "metadata.namespace is empty: remove it to use the target's default namespace",
      });
    } else {
      const problem = dns1123LabelProblem(namespace);
      if (problem)
        issues.push({
          path: ["metadata", "namespace"],
          reason: `metadata.namespace "${namespace}" ${problem}`,
        });
    }
  }

  const annotationIssues = validateStringMap(annotations, "annotations");
  issues.push(...validateStringMap(labels, "labels"), ...annotationIssues);
  if (annotationIssues.length === 0 && isRecord(annotations)) {
    for (const problem of lifecycleAnnotationProblems(annotations as Record<string, string>)) {
      issues.push({ path: ["metadata", "annotations", problem.annotation], reason: problem.reason });
    }
  }
  for (const [field, map] of [
    ["labels", labels],
    ["annotations", annotations],
  ] as const) {
    if (!isRecord(map)) continue;
    for (const key of Object.keys(map)) {
      if (key.startsWith(APPLYSET_PREFIX)) {
        issues.push({
          path: ["metadata", field, key],
          reason: `${field === "labels" ? "label" : "annotation"} ${key} is reserved for the ApplySet inventory that pullbridge manages: remove it`,
        });
      }
    }
  }
  return issues;
}

/** Labels and annotations must be strings: `replicas: 3`-style numbers and `true` are the usual slip. */
function validateStringMap(value: unknown, field: "labels" | "annotations"): ObjectIssue[] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) {
    return [
      {
        path: ["metadata", field],
        reason: `metadata.${field} must be a mapping, found ${describeType(value)}`,
      },
    ];
  }
  return Object.entries(value)
    .filter(([, item]) => typeof item !== "string")
    .map(([key, item]) => ({
      path: ["metadata", field, key],
      reason: `metadata.${field}["${key}"] must be a string, found ${describeType(item)} (quote it)`,
    }));
}

/** True for a plain mapping (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `a sequence`, `a number (3)`, `null` — for messages about a value of the wrong type. */
export function describeType(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "a sequence";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return `a string ("${value.length > 40 ? `${value.slice(0, 40)}…` : value}")`;
  return `a ${typeof value} (${String(value)})`;
}
