/**
 * Which repository directories a target is made of: its path plus its declared `watch` paths
 * (e.g. an overlay's `../base`). The worker fetches exactly these and the renderer sees nothing
 * else, so a push that touches none of them cannot change the render: the webhook routes by
 * them and previews scope by them. Pure.
 */
import { type SourceTree, sourceTreeOf } from "../source/git-source.ts";

/** The target's directories, `path` first, without duplicates. */
export function sourcePathsOf(target: { path: string; watch?: readonly string[] | undefined }): string[] {
  return [...new Set([target.path, ...(target.watch ?? [])])];
}

/** True when `file` lies in `dir` (`.` holds everything). */
function inDirectory(dir: string, file: string): boolean {
  if (dir === "." || dir === "") return true;
  return file === dir || file.startsWith(`${dir}/`);
}

/** True when `file` is one of the target's source files. */
export function touchesTarget(
  target: { path: string; watch?: readonly string[] | undefined },
  file: string,
): boolean {
  return sourcePathsOf(target).some((dir) => inDirectory(dir, file));
}

/** The deepest directory holding every path (`.` when they share nothing): one fetch serves them all. */
export function commonDirectory(paths: readonly string[]): string {
  if (paths.length === 0 || paths.includes(".")) return ".";
  const split = paths.map((p) => p.split("/"));
  const first = split[0] ?? [];
  let depth = 0;
  while (depth < first.length && split.every((parts) => parts[depth] === first[depth])) depth += 1;
  return first.slice(0, depth).join("/") || ".";
}

/**
 * The files of `tree` inside any of `dirs` (drops siblings fetched with their common directory),
 * with the links and skipped files inside them.
 */
export function keepDirectories(tree: SourceTree, dirs: readonly string[]): SourceTree {
  const inside = (path: string) => dirs.some((dir) => inDirectory(dir, path));
  const kept = new Map<string, Uint8Array>();
  for (const [path, value] of tree) if (inside(path)) kept.set(path, value);
  return sourceTreeOf(kept, {
    skipped: tree.skipped?.filter((file) => inside(file.path)),
    links: tree.links?.filter((link) => inside(link.path)),
  });
}
