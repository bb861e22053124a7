/**
 * "Is this path that directory or inside it", for repository tree paths (`apps/web`, `.` for the
 * root) and file-system paths alike: comparing by `path.relative` rather than by string prefix,
 * so `deploy` does not hold `deploy-old/app.yaml` and `a/./b` is `a/b`.
 */
import { isAbsolute, relative, sep } from "node:path";

/** True when `path` is `dir` or lies under it; `.` (or "") holds every relative path. */
export function isPathWithin(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
