/**
 * Which target a directory command (`render`, `diff`, `sync`) works on, and how its files are
 * read: with `--targets`, `<dir>` is the repository root and the file's target (path, watch,
 * namespace, policy) applies; otherwise `<dir>` is the target's path inside the repository root
 * (`--root`, else the git top level, else the working directory) and the flags give its
 * namespace, watch paths and policy — without `--watch`, an overlay's bases are found from its
 * kustomizations. Either way only the target's directories are read, through the worker's
 * selection and limits (lib/source/adapters/directory-source.ts). That the ad-hoc flags are refused beside
 * `--targets` is checked for every command by the dispatcher (their `adHoc` mark in cli-flags.ts).
 */
import { realpath, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { adHocTarget, selectTarget, targetNameFromDirectory } from "../../lib/app/cli-target.ts";
import type { TreeReader } from "../../lib/app/load-target-objects.ts";
import type { FlagValues } from "../../lib/cli/command-line.ts";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import { ConfigError } from "../../lib/errors.ts";
import { isPathWithin } from "../../lib/is-path-within.ts";
import { readDirectoryTree } from "../../lib/source/adapters/directory-source.ts";
import type { LOCAL_TARGET_FLAGS } from "./cli-flags.ts";
import { gitTopLevel } from "./git-revision.ts";
import { loadTargetsFile } from "./targets-file.ts";

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

/**
 * The flags a directory command has: every command's target flags; `diff` and `sync` also the
 * switches only a sync uses.
 */
export type LocalTargetFlags = FlagValues<typeof LOCAL_TARGET_FLAGS> & {
  readonly prune?: boolean;
  readonly adopt?: boolean;
  readonly forceConflicts?: boolean;
};

/** Resolves `<dir>` and the flags to a target; ConfigError naming the flag or directory at fault. */
export async function resolveLocalTarget(options: {
  flags: LocalTargetFlags;
  cwd: string;
  dir: string;
  /** The namespace of a target without a targets file (asked only then). */
  namespace: () => string;
}): Promise<LocalTarget> {
  const { flags, dir } = options;
  // Real paths throughout, so they compare with git's top level through symlinked directories.
  const cwd = await realDirectory(options.cwd, ".");
  const absolute = await realDirectory(resolve(cwd, dir), dir);
  if (flags.targets !== undefined) {
    const file = await loadTargetsFile(flags.targets, cwd);
    const target = selectTarget(file, flags.target, flags.targets);
    return {
      // --no-prune narrows a file's target; nothing on the command line widens one.
      target: { ...target, prune: target.prune && flags.prune !== false },
      configuredTargets: file.targets,
      root: absolute,
      discoverWatch: false,
      keys: file.keys,
      readTree: (paths) => readDirectoryTree(absolute, { paths }),
    };
  }
  const root =
    flags.root !== undefined
      ? await realDirectory(resolve(cwd, flags.root), flags.root)
      : ((await gitTopLevel(absolute)) ?? (isPathWithin(cwd, absolute) ? cwd : absolute));
  const inRoot = (path: string, flag: string) => {
    if (!isPathWithin(root, path)) throw new ConfigError(flag, `${path} is not inside ${root}`);
    return relative(root, path).split(sep).join("/") || ".";
  };
  const target = adHocTarget({
    name: flags.target ?? targetNameFromDirectory(absolute),
    namespace: options.namespace(),
    path: inRoot(absolute, flags.root === undefined ? dir : "--root"),
    watch: flags.watch.map((w) => inRoot(resolve(cwd, w), "--watch")),
    ...(flags.prune === undefined ? {} : { prune: flags.prune }),
    clusterScoped: flags.clusterScoped,
    namespaces: flags.allowNamespace.flatMap((n) => n.split(",")).filter((n) => n !== ""),
    allowEmpty: flags.allowEmpty,
    ...(flags.adopt === undefined ? {} : { adopt: flags.adopt }),
    ...(flags.forceConflicts === undefined ? {} : { forceConflicts: flags.forceConflicts }),
  });
  return {
    target,
    configuredTargets: [target],
    root,
    discoverWatch: flags.watch.length === 0,
    readTree: (paths) => readDirectoryTree(root, { paths }),
  };
}

/** The directory's real path; ConfigError when it is none. */
async function realDirectory(path: string, given: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(given, "no such directory");
  return realpath(path);
}

/**
 * Notes on stderr about how a target was read: the bases an ad-hoc overlay read outside its path
 * (the `watch` a target for it needs), and the renderer's own notes.
 */
export function loadNotes(
  target: Target,
  loaded: { discoveredWatch: readonly string[]; notes: readonly string[] },
): string[] {
  const found = loaded.discoveredWatch.join(", ");
  return [
    ...(loaded.discoveredWatch.length > 0
      ? [
          `note: read ${found} outside ${target.path}, as its kustomizations refer to them; a target for ${target.path} needs watch: [${found}]`,
        ]
      : []),
    ...loaded.notes.map((note) => `note: ${note}`),
  ];
}
