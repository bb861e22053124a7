/**
 * Which target a directory command (`render`, `diff`, `sync`) works on, and how its files are
 * read: with `--targets`, `<dir>` is the repository root and the file's target (path, watch,
 * namespace, policy) applies; otherwise `<dir>` is the target's path inside the repository root
 * (`--root`, else the git top level, else the working directory) and the flags give its
 * namespace, watch paths and policy — without `--watch`, an overlay's bases are found from its
 * kustomizations. Either way only the target's directories are read, through the worker's
 * selection and limits (lib/source/directory-source.ts).
 */
import { realpath, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { adHocTarget, selectTarget, targetNameFromDirectory } from "../../lib/app/cli-target.ts";
import type { TreeReader } from "../../lib/app/load-target-objects.ts";
import { parseTargetsYaml, type Target, type TargetsFile } from "../../lib/config/targets.ts";
import { ConfigError } from "../../lib/errors.ts";
import { isPathWithin } from "../../lib/is-path-within.ts";
import { readDirectoryTree } from "../../lib/source/adapters/directory-source.ts";
import type { CliArgs } from "./cli-args.ts";
import { gitTopLevel } from "./git-revision.ts";

/** A directory command's target (paths relative to `root`), its reader, and whether its `watch` is to be discovered. */
export type LocalTarget = {
  target: Target;
  /** Every target of the targets file (just `target` without one): their ApplySet parents are off limits. */
  configuredTargets: readonly Target[];
  root: string;
  discoverWatch: boolean;
  readTree: TreeReader;
  /** The targets file's SOPS keys, when a targets file was given (they bound what the target may decrypt). */
  keys?: TargetsFile["keys"] | undefined;
};

/** Flags that define a target without a targets file: a file's target has its own, never widened from the command line. */
const AD_HOC_FLAGS = [
  ["--namespace", (a: CliArgs) => a.namespace !== undefined],
  ["--watch", (a: CliArgs) => a.watch.length > 0],
  ["--cluster-scoped", (a: CliArgs) => a.clusterScoped],
  ["--allow-namespace", (a: CliArgs) => a.allowNamespaces.length > 0],
  ["--allow-empty", (a: CliArgs) => a.allowEmpty],
  ["--adopt", (a: CliArgs) => a.adopt],
  ["--force-conflicts", (a: CliArgs) => a.forceConflicts],
] as const;

/** Resolves `<dir>` and the flags to a target; ConfigError naming the flag or directory at fault. */
export async function resolveLocalTarget(options: {
  args: CliArgs;
  cwd: string;
  dir: string;
  /** The namespace of a target without a targets file (asked only then). */
  namespace: () => string;
  readTargetsFile: (path: string, cwd: string) => Promise<string>;
}): Promise<LocalTarget> {
  const { args, dir } = options;
  // Real paths throughout, so they compare with git's top level through symlinked directories.
  const cwd = await realDirectory(options.cwd, ".");
  const absolute = await realDirectory(resolve(cwd, dir), dir);
  if (args.targets !== undefined) {
    const given = AD_HOC_FLAGS.find(([, isSet]) => isSet(args));
    if (given !== undefined) {
      throw new ConfigError(
        given[0],
        "comes from the targets file when --targets is given; drop one of them",
      );
    }
    const file = parseTargetsYaml(await options.readTargetsFile(args.targets, cwd), args.targets);
    const target = selectTarget(file, args.target, args.targets);
    return {
      target: { ...target, prune: target.prune && args.prune },
      configuredTargets: file.targets,
      root: absolute,
      discoverWatch: false,
      keys: file.keys,
      readTree: (paths) => readDirectoryTree(absolute, { paths }),
    };
  }
  const root =
    args.root !== undefined
      ? await realDirectory(resolve(cwd, args.root), args.root)
      : ((await gitTopLevel(absolute)) ?? (isPathWithin(cwd, absolute) ? cwd : absolute));
  const inRoot = (path: string, flag: string) => {
    if (!isPathWithin(root, path)) throw new ConfigError(flag, `${path} is not inside ${root}`);
    return relative(root, path).split(sep).join("/") || ".";
  };
  const target = adHocTarget({
    name: args.target ?? targetNameFromDirectory(absolute),
    namespace: options.namespace(),
    path: inRoot(absolute, args.root === undefined ? dir : "--root"),
    watch: args.watch.map((w) => inRoot(resolve(cwd, w), "--watch")),
    prune: args.prune,
    clusterScoped: args.clusterScoped,
    namespaces: args.allowNamespaces.flatMap((n) => n.split(",")).filter((n) => n !== ""),
    allowEmpty: args.allowEmpty,
    adopt: args.adopt,
    forceConflicts: args.forceConflicts,
  });
  return {
    target,
    configuredTargets: [target],
    root,
    discoverWatch: args.watch.length === 0,
    readTree: (paths) => readDirectoryTree(root, { paths }),
  };
}

/** The directory's real path; ConfigError when it is none. */
async function realDirectory(path: string, given: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(given, "no such directory");
  return realpath(path);
}
