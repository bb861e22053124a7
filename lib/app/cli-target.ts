/**
 * Which target a CLI command works on: one named in a targets file, or an ad-hoc target for a
 * directory of manifests (`pullbridge diff deploy/ --namespace apps`). The target name decides
 * the ApplySet parent (`pullbridge-<name>`), so `--target web` compares against exactly the
 * inventory the bridge keeps for target `web`.
 */
import { type Target, type TargetsFile, targetSchema } from "../config/targets.ts";
import { ConfigError } from "../errors.ts";

/** A DNS label from a directory name: `Deploy_Prod/` → `deploy-prod`; `local` when nothing is left. */
export function targetNameFromDirectory(directory: string): string {
  const base =
    directory
      .replace(/[/\\]+$/, "")
      .split(/[/\\]/)
      .pop() ?? "";
  const label = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 52)
    .replace(/-+$/, "");
  return label === "" || label === "." ? "local" : label;
}

/**
 * What a one-off sync of a directory may set without a targets file: the target's identity, its
 * directories (repository-relative), and the policy switches such a sync needs (an overlay that
 * brings its own Namespace, objects in a second namespace, taking over what `kubectl apply`
 * created, fields another applier holds, an intentionally empty directory).
 */
export type AdHocTargetOptions = {
  name: string;
  namespace: string;
  path?: string;
  watch?: readonly string[];
  prune?: boolean;
  clusterScoped?: boolean;
  /** `policy.namespaces`: besides `namespace`; `*` allows any. */
  namespaces?: readonly string[];
  allowEmpty?: boolean;
  adopt?: boolean;
  forceConflicts?: boolean;
};

/** The flag a target field comes from, for errors. */
const FLAG_OF: Record<string, string> = {
  name: "--target",
  namespace: "--namespace",
  path: "<dir>",
  watch: "--watch",
  policy: "--allow-namespace",
};

/** A target for a directory given on the command line (no targets file); errors name the flag. */
export function adHocTarget(options: AdHocTargetOptions): Target {
  const namespaces = options.namespaces ?? [];
  const input = {
    name: options.name,
    repo: `local/${options.name}`,
    path: options.path ?? ".",
    ...(options.watch && options.watch.length > 0 ? { watch: options.watch } : {}),
    cluster: "cli",
    namespace: options.namespace,
    ...(options.prune === undefined ? {} : { prune: options.prune }),
    policy: {
      clusterScoped: options.clusterScoped ?? false,
      // The target's own namespace stays allowed: it holds the ApplySet parent and un-namespaced objects.
      ...(namespaces.length > 0 ? { namespaces: [...new Set([options.namespace, ...namespaces])] } : {}),
    },
    ...(options.allowEmpty === undefined ? {} : { allowEmpty: options.allowEmpty }),
    ...(options.adopt === undefined ? {} : { adopt: options.adopt }),
    ...(options.forceConflicts === undefined ? {} : { forceConflicts: options.forceConflicts }),
  };
  const parsed = targetSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = FLAG_OF[String(issue?.path[0])] ?? "--target";
    const got = issue?.path.reduce<unknown>(
      (value, key) => (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey],
      input,
    );
    throw new ConfigError(field, `${issue?.message ?? "invalid"} (got "${String(got)}")`);
  }
  return parsed.data;
}

/** The target called `name` in a targets file; with no name, the file's only target. */
export function selectTarget(file: TargetsFile, name: string | undefined, source: string): Target {
  const known = file.targets.map((t) => t.name).join(", ");
  if (name === undefined) {
    const only = file.targets[0];
    if (file.targets.length === 1 && only) return only;
    throw new ConfigError("--target", `${source} has ${file.targets.length} targets; name one (${known})`);
  }
  const target = file.targets.find((t) => t.name === name);
  if (!target) throw new ConfigError("--target", `no target "${name}" in ${source} (known: ${known})`);
  return target;
}
