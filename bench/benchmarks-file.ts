/**
 * BENCHMARKS.md is shared by every benchmark: each one owns a section between its own markers
 * and replaces only that section, so running one benchmark never erases another's results.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** Replaces (or appends) the section of `name` in `path`, leaving everything else alone. */
export function writeBenchmarksSection(name: string, section: string, path = "BENCHMARKS.md"): void {
  const begin = `<!-- bench:${name}:begin (written by npm run bench:${name}) -->`;
  const end = `<!-- bench:${name}:end -->`;
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const block = `${begin}\n${section.trim()}\n${end}`;
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? current.slice(0, start) + block + current.slice(stop + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
