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

/** A target for a directory given on the command line (no targets file). */
export function adHocTarget(options: { name: string; namespace: string; prune?: boolean }): Target {
  const parsed = targetSchema.safeParse({
    name: options.name,
    repo: `local/${options.name}`,
    path: ".",
    cluster: "cli",
    namespace: options.namespace,
    ...(options.prune === undefined ? {} : { prune: options.prune }),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0] === "namespace" ? "--namespace" : "--target";
    throw new ConfigError(
      field,
      `${issue?.message ?? "invalid"} (got "${String(issue?.path[0] === "namespace" ? options.namespace : options.name)}")`,
    );
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
