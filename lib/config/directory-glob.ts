/**
 * Directory globs of `directories` generators: `/`-separated segments, `*` matching within one
 * segment (`apps/*\/overlays/prod`). Its own module because the webhook matches pushed files with
 * it and must not load the generators' schema (ADR 0036). Pure.
 */

/** Whether `dir` matches a glob of `/`-separated segments, `*` matching within a segment. */
export function directoryMatches(glob: string, dir: string): boolean {
  const g = glob.split("/");
  const d = dir.split("/");
  if (g.length !== d.length) return false;
  return g.every((segment, i) => {
    const escaped = segment.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
    return new RegExp(`^${escaped}$`).test(d[i] ?? "");
  });
}
