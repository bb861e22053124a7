/**
 * Which files of a repository tree are manifests of a target, and which under its path are not.
 */
import { posix } from "node:path";
import type { SkippedFile, SourceTree } from "../source/git-source.ts";

/** A plain target's file selection: globs relative to the target path, and whether to descend. */
export type FileSelection = {
  include?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  recursive?: boolean | undefined;
};

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/** `./deploy/prod/` → `deploy/prod`; `.`, `./` and `` all mean the repository root. */
export function normaliseTargetPath(targetPath: string): string {
  return (
    targetPath
      .replace(/^(\.\/)+/, "")
      .replace(/^\/+/, "")
      .replace(/\/+$/, "") || "."
  );
}

/**
 * The target's manifest files among `paths` (repository-relative, `/`-separated), sorted, so
 * loading (and which of two duplicates counts as "first") is deterministic. Files or directories whose name starts
 * with `.` below the target path are skipped: `.github/workflows/*.yml`, `.pre-commit-config.yaml`
 * and the like are YAML but never Kubernetes objects, and a target at the repository root
 * would otherwise fail on them.
 */
export function selectManifestFiles(
  paths: Iterable<string>,
  targetPath: string,
  selection: FileSelection = {},
): string[] {
  const target = normaliseTargetPath(targetPath);
  const prefix = target === "." ? "" : `${target}/`;
  const selected: string[] = [];
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const below = path.slice(prefix.length).split("/");
    if (below.some((segment) => segment.startsWith(".") || segment === "")) continue;
    // Case-sensitive, as kubectl's `-f <dir>` is.
    if (!MANIFEST_EXTENSIONS.some((ext) => path.endsWith(ext))) continue;
    if (selection.recursive === false && below.length > 1) continue;
    const relative = below.join("/");
    if (selection.include && !selection.include.some((glob) => posix.matchesGlob(relative, glob))) continue;
    if (selection.exclude?.some((glob) => posix.matchesGlob(relative, glob))) continue;
    selected.push(path);
  }
  return selected.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Files under the target path that are not manifests because of their extension (`README.md`,
 * `values.YAML`), sorted: reported as skipped, since a file that looks like it belongs to the
 * target but is never read is a surprise. Hidden files are left out on purpose (see below).
 */
function unsupportedFiles(paths: Iterable<string>, targetPath: string): string[] {
  const target = normaliseTargetPath(targetPath);
  const prefix = target === "." ? "" : `${target}/`;
  const all = [...paths];
  const selected = new Set(selectManifestFiles(all, targetPath));
  return all
    .filter((path) => path.startsWith(prefix) && !selected.has(path))
    .filter(
      (path) =>
        !path
          .slice(prefix.length)
          .split("/")
          .some((segment) => segment.startsWith(".") || segment === ""),
    )
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Why a file under the target path was not read. */
const NOT_A_MANIFEST_REASON = "not a manifest (only .yaml, .yml and .json files are read)";

/** Every file under the target path that was not read: what the source left out, then unsupported extensions. */
export function skippedFiles(tree: SourceTree, targetPath: string): SkippedFile[] {
  return [
    ...(tree.skipped ?? []),
    ...unsupportedFiles(tree.keys(), targetPath).map((path) => ({ path, reason: NOT_A_MANIFEST_REASON })),
  ];
}
