/**
 * The repository paths a tree's kustomizations refer to outside a selection: the bases and
 * components an overlay reads (`resources: [../../base]`). The CLI, given an overlay without a
 * targets file, reads these too — as a target whose `watch` lists them — and says so, so the
 * user learns the `watch` the worker needs. Only what Kustomize itself may load from outside a
 * kustomization's directory is followed (directories under `resources`, `bases`, `components`,
 * `generators`, `transformers`, `validators`); the render still decides what is valid. Pure.
 */
import { posix } from "node:path";
import { parse } from "yaml";
import { KUSTOMIZATION_FILE_NAMES } from "../render/choose-render-engine.ts";
import { inAnyDirectory } from "../source/tree-selection.ts";

const REFERENCE_FIELDS = [
  "resources",
  "bases",
  "components",
  "generators",
  "transformers",
  "validators",
] as const;

/**
 * `https://…`, `git@…`: remote references the renderer refuses by name; nothing to read. (A
 * scheme-less `github.com/org/repo` reads as a local path that holds no file: also harmless.)
 */
const REMOTE = /^[a-z][a-z0-9+.-]*:\/\/|^git@/i;

/** Paths outside `selection` that the kustomizations in `files` name, repository-relative and sorted. */
export function kustomizationReferences(
  files: ReadonlyMap<string, Uint8Array>,
  selection: readonly string[],
): string[] {
  const found = new Set<string>();
  const decoder = new TextDecoder();
  for (const [file, bytes] of files) {
    if (!(KUSTOMIZATION_FILE_NAMES as readonly string[]).includes(posix.basename(file))) continue;
    let document: unknown;
    try {
      document = parse(decoder.decode(bytes), { maxAliasCount: 100 });
    } catch {
      continue; // the render reports the kustomization's syntax error, naming it
    }
    if (typeof document !== "object" || document === null) continue;
    for (const field of REFERENCE_FIELDS) {
      const entries: unknown = (document as Record<string, unknown>)[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (typeof entry !== "string" || entry === "" || REMOTE.test(entry)) continue;
        const path = posix.normalize(posix.join(posix.dirname(file), entry)).replace(/\/+$/, "");
        // Outside the repository: the renderer refuses it by name.
        if (path === ".." || path.startsWith("../") || posix.isAbsolute(path)) continue;
        if (!inAnyDirectory(selection, path)) found.add(path);
      }
    }
  }
  return [...found].sort();
}
