/**
 * Symbolic links of a fetched tree, followed the way `helm template`, `kustomize build` and
 * `kubectl apply -f` follow them on disk — but only inside the files that were fetched for the
 * target (its path and watch paths). A link stands for its target's content at the link's own
 * path (a link to a directory for every file below it), so a symlinked template, base file or
 * subchart renders as the stock tools render it and the objects it defines are never planned
 * as "no longer in Git". Where each link resolves is kept (`followed`) for the renderer, whose
 * Kustomize then applies its own load restrictions to the real location, as on disk. A link that cannot be followed — to an absolute path, out of the
 * repository, to a file that was not fetched or does not exist, or a loop — refuses the whole
 * target, naming the link: skipping it could prune the objects its target defined. Pure.
 */
import { posix } from "node:path";
import { ManifestError, ManifestSetError } from "../errors.ts";
import { DEFAULT_SOURCE_LIMITS, type SourceLimits, type SourceTree } from "./git-source.ts";
import { assertWithinLimits } from "./tree-selection.ts";

/** Links followed through other links before giving up (Linux's own limit is 40). */
const MAX_LINK_DEPTH = 40;

export type FollowSymlinksOptions = {
  /** The directories the tree was selected from (the target's path and watch paths), for the advice on a link out of them. */
  dirs: readonly string[];
  /** The followed tree must stay within these (links to directories multiply files). */
  limits?: SourceLimits | undefined;
  /** Names the tree in limit errors. */
  what?: string;
};

type Resolution = { path: string } | { refusal: string };

/**
 * The tree with every symbolic link replaced by the content it points to (the result holds no
 * `links`, and `followed` says where each resolved); throws a ManifestSetError naming each link
 * that cannot be followed and why.
 */
export function followSymlinks(tree: SourceTree, options: FollowSymlinksOptions): SourceTree {
  const links = tree.links ?? [];
  if (links.length === 0) return tree;
  const targets = new Map(links.map((link) => [link.path, link.target]));
  const directories = new Set<string>(["."]);
  for (const path of tree.keys()) {
    for (let dir = posix.dirname(path); dir !== "." && !directories.has(dir); dir = posix.dirname(dir))
      directories.add(dir);
  }
  for (const path of targets.keys()) {
    for (let dir = posix.dirname(path); dir !== "." && !directories.has(dir); dir = posix.dirname(dir))
      directories.add(dir);
  }

  /** Applies `components` to the resolved directory `base` as the kernel does: `..` after a link leaves the link's target. */
  const walk = (base: readonly string[], components: readonly string[], depth: number): Resolution => {
    let current = [...base];
    for (const component of components) {
      if (component === "" || component === ".") continue;
      if (component === "..") {
        if (current.length === 0) return { refusal: "leads outside the repository, which is never followed" };
        current.pop();
        continue;
      }
      current.push(component);
      const target = targets.get(current.join("/"));
      if (target === undefined) continue;
      if (depth >= MAX_LINK_DEPTH) return { refusal: "is part of a symbolic link loop" };
      if (target.startsWith("/"))
        return { refusal: `leads to an absolute path (${target}), which is never followed` };
      current.pop();
      const resolved = walk(current, target.split("/"), depth + 1);
      if ("refusal" in resolved) return resolved;
      current = resolved.path === "." ? [] : resolved.path.split("/");
    }
    return { path: current.join("/") || "." };
  };
  const resolve = (linkPath: string): Resolution => {
    const target = targets.get(linkPath) ?? "";
    if (target === "") return { refusal: "has an empty target" };
    if (target.startsWith("/"))
      return { refusal: `points to an absolute path (${target}), which is never followed` };
    const parent = posix.dirname(linkPath);
    const resolved = walk(parent === "." ? [] : parent.split("/"), target.split("/"), 1);
    if ("refusal" in resolved && resolved.refusal.startsWith("leads outside"))
      return { refusal: `points outside the repository (${target}), which is never followed` };
    return resolved;
  };
  const inSelection = (path: string) =>
    options.dirs.some((dir) => dir === "." || path === dir || path.startsWith(`${dir}/`));

  const out = new Map<string, Uint8Array>();
  for (const [path, content] of tree) out.set(path, content);
  const errors: ManifestError[] = [];
  const limits = options.limits ?? DEFAULT_SOURCE_LIMITS;
  const kept = { files: out.size, bytes: [...out.values()].reduce((sum, c) => sum + c.byteLength, 0) };
  const add = (path: string, content: Uint8Array) => {
    if (!out.has(path)) kept.files += 1;
    kept.bytes += content.byteLength;
    assertWithinLimits(kept, limits, options.what ?? "following symbolic links", options.dirs);
    out.set(path, content);
  };

  /** Puts what the link at `linkPath` (whose own place is `at`) stands for at `at`; a refusal is returned. */
  const materialise = (linkPath: string, at: string, depth: number): string | undefined => {
    const resolved = resolve(linkPath);
    if ("refusal" in resolved) return resolved.refusal;
    const { path } = resolved;
    const content = tree.get(path);
    if (content !== undefined) {
      add(at, content);
      return undefined;
    }
    if (directories.has(path)) {
      if (path === "." || linkPath === path || linkPath.startsWith(`${path}/`))
        return `points to ${path}, a directory that contains the link (a loop)`;
      if (depth >= MAX_LINK_DEPTH) return "is part of a symbolic link loop";
      const prefix = `${path}/`;
      for (const [file, bytes] of tree)
        if (file.startsWith(prefix)) add(`${at}/${file.slice(prefix.length)}`, bytes);
      // Links below the directory are followed at their new place too (their own refusals are reported where they are).
      for (const inner of targets.keys())
        if (inner.startsWith(prefix)) materialise(inner, `${at}/${inner.slice(prefix.length)}`, depth + 1);
      return undefined;
    }
    if (inSelection(path)) return `points to ${path}, which does not exist at this commit`;
    const dir = posix.dirname(path);
    return `points to ${path}, outside the target's path and watch paths (${options.dirs.join(", ")}), which are all that is fetched: add ${dir === "." ? path : dir} to the target's \`watch\`, or replace the link with the file`;
  };

  for (const link of [...links].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const refusal = materialise(link.path, link.path, 0);
    if (refusal !== undefined)
      errors.push(new ManifestError({ file: link.path }, `symbolic link to ${link.target} ${refusal}`));
  }
  if (errors.length > 0) throw new ManifestSetError(errors);
  const followed = links.map((link) => {
    const resolved = resolve(link.path);
    return { path: link.path, target: "path" in resolved ? resolved.path : link.target };
  });
  return Object.assign(out, { followed }, tree.skipped ? { skipped: tree.skipped } : {});
}
