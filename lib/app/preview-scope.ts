/**
 * Whether a pull request can change what a target previews: only files under the target's path
 * are ever loaded, so a pull request that touches none of them would preview the base branch.
 * Pure.
 */
import { touchesTarget } from "../render/target-source-paths.ts";
import type { ChangedPaths } from "../source/git-source.ts";

/**
 * True when the change may touch the target. A capped list (GitHub stops at 300 files, silently)
 * proves nothing about the files it left out, so it counts as touching.
 */
export function changeTouchesTarget(
  changed: ChangedPaths,
  target: { path: string; watch?: readonly string[] | undefined },
): boolean {
  if (!changed.complete) return true;
  return changed.paths.some((file) => touchesTarget(target, file));
}
