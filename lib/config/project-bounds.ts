/**
 * Projects bound tenants: a target naming a project may use only the repositories, clusters,
 * namespaces, kinds, cluster scope, identities and decryption keys the project lists. The project is defined in the
 * deployed stack file, so nothing a bounded repository contains can widen it. Pure.
 *
 * Two functions: `projectExcesses` says, per field, where a target asks for more than its project
 * allows (the field and the bound it exceeds, for a refusal); `boundTarget` narrows what the
 * target leaves open to the project's bounds (no `policy.kinds` → the project's kinds; the
 * project's denied kinds are added to the target's).
 */
import type { Project, Target } from "./targets.ts";

/** One field of a target that exceeds its project, with the bound it exceeds. */
export type ProjectExcess = { path: (string | number)[]; message: string };

/** `*` in a pattern matches any run of name characters. */
function globMatches(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*");
  return new RegExp(`^${escaped}$`, "i").test(value);
}

/** Whether a `Kind` or `Kind.group` reference is covered by one of `allowed` (a bare `Kind` covers every group). */
function kindCovered(kind: string, allowed: readonly string[]): boolean {
  const bare = kind.split(".")[0] ?? kind;
  return allowed.some((a) => a === kind || a === bare);
}

const list = (values: readonly string[]) => values.join(", ");

/** Every field of `target` that asks for more than project `name` allows (empty when it fits). */
export function projectExcesses(
  target: Pick<
    Target,
    | "repo"
    | "cluster"
    | "namespace"
    | "policy"
    | "helm"
    | "impersonate"
    | "previewImpersonate"
    | "healthImpersonate"
    | "decryption"
  >,
  name: string,
  project: Project,
): ProjectExcess[] {
  const out: ProjectExcess[] = [];
  const exceeds = (path: (string | number)[], what: string, bound: string) =>
    out.push({ path, message: `${what} is outside project ${name}'s ${bound}` });

  if (!project.repositories.some((r) => globMatches(r, target.repo))) {
    exceeds(["repo"], `repository ${target.repo}`, `repositories (${list(project.repositories)})`);
  }
  if (!project.clusters.includes("*") && !project.clusters.includes(target.cluster)) {
    exceeds(["cluster"], `cluster "${target.cluster}"`, `clusters (${list(project.clusters)})`);
  }
  const namespaceBound = `namespaces (${list(project.namespaces)})`;
  const namespaceAllowed = (ns: string) =>
    ns === "*" ? project.namespaces.includes("*") : project.namespaces.some((p) => globMatches(p, ns));
  if (!namespaceAllowed(target.namespace)) {
    exceeds(["namespace"], `namespace "${target.namespace}"`, namespaceBound);
  }
  target.policy.namespaces?.forEach((ns, i) => {
    if (!namespaceAllowed(ns)) {
      exceeds(
        ["policy", "namespaces", i],
        ns === "*" ? "every namespace (`*`)" : `namespace "${ns}"`,
        namespaceBound,
      );
    }
  });
  const helmNamespace = target.helm?.namespace;
  if (helmNamespace !== undefined && !namespaceAllowed(helmNamespace)) {
    exceeds(["helm", "namespace"], `namespace "${helmNamespace}"`, namespaceBound);
  }
  if (project.kinds !== undefined) {
    const allowed = project.kinds;
    target.policy.kinds?.forEach((kind, i) => {
      if (!kindCovered(kind, allowed)) {
        exceeds(["policy", "kinds", i], `kind ${kind}`, `kinds (${list(allowed)})`);
      }
    });
  }
  if (target.policy.clusterScoped && !project.clusterScoped) {
    out.push({
      path: ["policy", "clusterScoped"],
      message: `cluster-scoped objects are not allowed by project ${name} (clusterScoped: false)`,
    });
  }
  for (const field of ["impersonate", "previewImpersonate", "healthImpersonate"] as const) {
    const user = target[field]?.user;
    if (user !== undefined && !project.impersonate.includes(user)) {
      exceeds(
        [field, "user"],
        `impersonating "${user}"`,
        `impersonate list (${project.impersonate.length === 0 ? "empty" : list(project.impersonate)})`,
      );
    }
  }
  target.decryption?.keys.forEach((key, i) => {
    if (!project.keys.includes(key)) {
      exceeds(
        ["decryption", "keys", i],
        `decryption key "${key}"`,
        `keys (${project.keys.length === 0 ? "none" : list(project.keys)})`,
      );
    }
  });
  return out;
}

/**
 * The target as it syncs inside its project: kinds it leaves open become the project's, and the
 * project's denied kinds are denied too. Call only for a target without excesses.
 */
export function boundTarget<T extends Pick<Target, "policy">>(target: T, project: Project): T {
  const deniedKinds = [...new Set([...target.policy.deniedKinds, ...project.deniedKinds])];
  const kinds = target.policy.kinds ?? project.kinds;
  return {
    ...target,
    policy: { ...target.policy, deniedKinds, ...(kinds === undefined ? {} : { kinds }) },
  };
}
