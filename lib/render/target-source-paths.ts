/**
 * Which repository directories a target is made of: its path plus its declared `watch` paths
 * (e.g. an overlay's `../base`). The worker fetches exactly these and the renderer sees nothing
 * else, so a push that touches none of them cannot change the render: the webhook routes by
 * them and previews scope by them. Pure.
 */
import { inAnyDirectory } from "../source/tree-selection.ts";

/** The target's directories, `path` first, without duplicates. */
export function sourcePathsOf(target: { path: string; watch?: readonly string[] | undefined }): string[] {
  return [...new Set([target.path, ...(target.watch ?? [])])];
}

/** True when `file` is one of the target's source files. */
export function touchesTarget(
  target: { path: string; watch?: readonly string[] | undefined },
  file: string,
): boolean {
  return inAnyDirectory(sourcePathsOf(target), file);
}
