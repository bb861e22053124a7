/**
 * Which files of a repository a fetch keeps: those inside any of a target's directories (its
 * `path` and its `watch` paths). Every source — the GitHub tarball, a local `git archive`, a
 * directory on disk for the CLI — selects with these, and the limits count exactly what they
 * keep, so the CLI reads what the worker reads. Pure.
 */
import { SourceError } from "../errors.ts";
import { isPathWithin } from "../is-path-within.ts";
import type { SourceLimits } from "./git-source.ts";

/** True when `file` lies in one of `dirs`. */
export function inAnyDirectory(dirs: readonly string[], file: string): boolean {
  return dirs.some((dir) => isPathWithin(dir, file));
}

/** True when `dir` is a strict ancestor of one of `dirs`: a walk must descend into it to reach them. */
export function leadsToAnyDirectory(dirs: readonly string[], dir: string): boolean {
  return dirs.some((d) => d !== "." && d !== "" && d.startsWith(`${dir}/`));
}

/** The deepest directory holding every path (`.` when they share nothing): one archive of it holds them all. */
export function commonDirectory(paths: readonly string[]): string {
  if (paths.length === 0 || paths.includes(".")) return ".";
  const split = paths.map((p) => p.split("/"));
  const first = split[0] ?? [];
  let depth = 0;
  while (depth < first.length && split.every((parts) => parts[depth] === first[depth])) depth += 1;
  return first.slice(0, depth).join("/") || ".";
}

/** Checks the limits before a file is kept; throws a permanent SourceError naming the limit. */
export function assertWithinLimits(
  kept: { files: number; bytes: number },
  limits: SourceLimits,
  what: string,
  paths: readonly string[],
): void {
  const path = paths.join("`, `");
  if (kept.files > limits.maxFiles) {
    throw new SourceError(
      `${what}: more than ${limits.maxFiles} files under \`${path}\` (limit maxFiles=${limits.maxFiles}); split the target or raise the limit`,
      { retryable: false },
    );
  }
  if (kept.bytes > limits.maxBytes) {
    throw new SourceError(
      `${what}: files under \`${path}\` exceed ${limits.maxBytes} bytes (limit maxBytes=${limits.maxBytes}); split the target or raise the limit`,
      { retryable: false },
    );
  }
}
