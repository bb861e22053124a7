/**
 * `pullbridge targets validate`: the same parser the functions use at cold start (so a file that
 * passes here loads in Lambda, and every setting a sync would refuse is refused here, at
 * `file:line:col` and field), plus warnings for settings that parse but will not do what the
 * author probably meant.
 */
import { environmentNameOf, parseTargetsYaml, type Target, type TargetsFile } from "../config/targets.ts";
import { isPathWithin } from "../is-path-within.ts";
import { kindMatches } from "../manifests/check-policy.ts";

export type TargetsValidation = {
  file: string;
  targets: TargetsFile["targets"];
  clusters: TargetsFile["clusters"];
  /** `field: why` for settings that are valid but suspicious. */
  warnings: string[];
};

/** Parses and checks a targets file's text; throws a ConfigError listing every problem at `file:line:col` and field. */
export function validateTargets(input: { text: string; file: string }): TargetsValidation {
  const parsed = parseTargetsYaml(input.text, input.file);
  const warnings: string[] = [];
  for (const [key, cluster] of Object.entries(parsed.clusters)) {
    if (cluster.type === "kubeconfig" && /^(file:|default$)/.test(cluster.source)) {
      warnings.push(
        `clusters.${key}.source: "${cluster.source}" works only in local mode and the CLI; the Lambda worker refuses it (use ssm: or secretsmanager:)`,
      );
    }
  }
  const used = new Set(parsed.targets.map((t) => t.cluster));
  for (const key of Object.keys(parsed.clusters)) {
    if (!used.has(key)) warnings.push(`clusters.${key}: no target uses this cluster`);
  }
  parsed.targets.forEach((t, i) => {
    warnings.push(...targetWarnings(t).map((w) => `targets[${i}].${w}`));
  });
  warnings.push(...sharedWarnings(parsed.targets));
  return { file: input.file, targets: parsed.targets, clusters: parsed.clusters, warnings };
}

/** Settings of one target that parse but contradict each other or do nothing (`field: why`). */
function targetWarnings(t: Target): string[] {
  const warnings: string[] = [];
  if (t.drift === "alert" && !t.scheduled) {
    warnings.push(`drift: "alert" with scheduled: false never runs a drift check`);
  }
  if (t.allowEmpty && t.prune && t.path === ".") {
    warnings.push(`allowEmpty: with path "." an emptied repository prunes everything the target owns`);
  }
  t.watch.forEach((dir, j) => {
    if (isPathWithin(t.path, dir)) warnings.push(`watch[${j}]: ${dir} is inside path ${t.path} already`);
    else if (t.watch.some((other, k) => k !== j && other !== dir && isPathWithin(other, dir))) {
      warnings.push(`watch[${j}]: ${dir} is inside another watch path already`);
    } else if (t.watch.indexOf(dir) !== j) warnings.push(`watch[${j}]: ${dir} is listed twice`);
  });
  const namespaces = t.policy.namespaces;
  if (namespaces !== undefined && !namespaces.includes("*")) {
    if (!namespaces.includes(t.namespace)) {
      warnings.push(
        `policy.namespaces: does not include the target's namespace ${t.namespace}, so every namespaced object that names no namespace (it gets ${t.namespace}) is refused`,
      );
    }
    const release = t.helm?.namespace;
    if (release !== undefined && !namespaces.includes(release)) {
      warnings.push(
        `helm.namespace: ${release} is not in policy.namespaces, so objects the chart places in .Release.Namespace are refused`,
      );
    }
  }
  for (const kind of t.policy.kinds ?? []) {
    const probe = probeOf(kind);
    if (t.policy.deniedKinds.some((denied) => kindMatches(denied, probe))) {
      warnings.push(`policy.kinds: ${kind} is also denied by policy.deniedKinds, which wins`);
    }
  }
  if (t.allowNamespacePrune && !t.policy.clusterScoped) {
    warnings.push(
      "allowNamespacePrune: has no effect while policy.clusterScoped is false (the target can neither create nor prune a Namespace)",
    );
  }
  if (t.previewImpersonate !== undefined && !t.preview) {
    warnings.push("previewImpersonate: unused, previews are off (preview: false)");
  }
  if (t.environment.url !== undefined && !t.environment.deployments) {
    warnings.push("environment.url: unused, GitHub Deployments are off (environment.deployments: false)");
  }
  return warnings;
}

/** `Kind` / `Kind.group` as an object the policy matcher can judge. */
function probeOf(kindRef: string): { apiVersion: string; kind: string } {
  const dot = kindRef.indexOf(".");
  if (dot === -1) return { apiVersion: "v1", kind: kindRef };
  return { apiVersion: `${kindRef.slice(dot + 1)}/v1`, kind: kindRef.slice(0, dot) };
}

/** Targets that would fight each other: the same objects, or the same GitHub environment. */
function sharedWarnings(targets: readonly Target[]): string[] {
  const warnings: string[] = [];
  const sources = new Map<string, number>();
  const environments = new Map<string, number>();
  targets.forEach((t, i) => {
    const source = [t.repo, t.branch, t.path, t.cluster].join("\u0000");
    const same = sources.get(source);
    if (same !== undefined) {
      warnings.push(
        `targets[${i}]: syncs the same path of ${t.repo}@${t.branch} to the same cluster as targets[${same}] (${targets[same]?.name}); each one's objects belong to the first one's ApplySet, so the other's sync is refused (or, with adopt, takes them over)`,
      );
    } else sources.set(source, i);
    if (!t.environment.deployments) return;
    const environment = `${t.repo}\u0000${environmentNameOf(t)}`;
    const shared = environments.get(environment);
    if (shared !== undefined) {
      warnings.push(
        `targets[${i}].environment: records Deployments in ${t.repo}'s environment "${environmentNameOf(t)}" as targets[${shared}] (${targets[shared]?.name}) does, so each one's deployment marks the other's inactive; give one its own environment.name`,
      );
    } else environments.set(environment, i);
  });
  return warnings;
}
