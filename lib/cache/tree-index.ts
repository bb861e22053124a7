/**
 * The index of one commit's tree in the artifact cache: every path with the sha-256 of its
 * content (the blob's content-addressed key), its size and the day its blob was last stored (so
 * a blob is stored again before the bucket's lifecycle rule expires it), plus the commit's
 * symbolic and hard links. From it alone a job can tell which files exist, list a directory and
 * digest what a render read — without downloading anything. Pure.
 */
import { createHash } from "node:crypto";

/** One regular file of the commit. */
export type TreeIndexFile = {
  path: string;
  /** sha-256 of the content, hex: the blob's key. */
  digest: string;
  size: number;
  /** Days since the epoch when the blob was last written; -1 when it is too large to be cached. */
  storedDay: number;
};

export type TreeIndex = {
  repo: string;
  sha: string;
  /** Sorted by path. */
  files: readonly TreeIndexFile[];
  links: readonly { path: string; target: string }[];
  hardLinks: readonly string[];
};

const INDEX_VERSION = 1;

/** sha-256 hex of bytes or text. */
export function sha256Hex(content: Uint8Array | string): string {
  return createHash("sha256").update(content).digest("hex");
}

/** Days since the epoch (UTC) of `at`. */
export function dayOf(at: Date): number {
  return Math.floor(at.getTime() / 86_400_000);
}

function payloadOf(index: TreeIndex): unknown[] {
  return [
    index.repo,
    index.sha,
    index.files.map((f) => [f.path, f.digest, f.size, f.storedDay]),
    index.links.map((l) => [l.path, l.target]),
    index.hardLinks,
  ];
}

/** The index as stored: its payload and the payload's digest, so a damaged object is recognised. */
export function encodeTreeIndex(index: TreeIndex): string {
  const payload = JSON.stringify(payloadOf(index));
  return `{"v":${INDEX_VERSION},"digest":"${sha256Hex(payload)}","payload":${payload}}`;
}

const isString = (x: unknown): x is string => typeof x === "string";
const isNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Reads a stored index; `corrupt` when it is not one, or not the one of `repo@sha`, or its digest does not match. */
export function decodeTreeIndex(
  text: string,
  expected: { repo: string; sha: string },
): TreeIndex | "corrupt" {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "corrupt";
  }
  if (typeof parsed !== "object" || parsed === null) return "corrupt";
  const { v, digest, payload } = parsed as { v?: unknown; digest?: unknown; payload?: unknown };
  if (v !== INDEX_VERSION || !isString(digest) || !Array.isArray(payload)) return "corrupt";
  if (sha256Hex(JSON.stringify(payload)) !== digest) return "corrupt";
  const [repo, sha, files, links, hardLinks] = payload as unknown[];
  if (repo !== expected.repo || sha !== expected.sha) return "corrupt";
  if (!Array.isArray(files) || !Array.isArray(links) || !Array.isArray(hardLinks)) return "corrupt";
  const index: TreeIndex = {
    repo,
    sha,
    files: files.map((f: unknown) => {
      const [path, fileDigest, size, storedDay] = Array.isArray(f) ? f : [];
      if (!isString(path) || !isString(fileDigest) || !isNumber(size) || !isNumber(storedDay))
        throw new TypeError("index entry");
      return { path, digest: fileDigest, size, storedDay };
    }),
    links: links.map((l: unknown) => {
      const [path, target] = Array.isArray(l) ? l : [];
      if (!isString(path) || !isString(target)) throw new TypeError("index link");
      return { path, target };
    }),
    hardLinks: hardLinks.filter(isString),
  };
  return index;
}

/** `decodeTreeIndex` that also turns a malformed entry into `corrupt`. */
export function readTreeIndex(text: string, expected: { repo: string; sha: string }): TreeIndex | "corrupt" {
  try {
    return decodeTreeIndex(text, expected);
  } catch {
    return "corrupt";
  }
}

/** Fast lookups over an index: files by path, which directories exist. */
export type TreeView = {
  index: TreeIndex;
  file(path: string): TreeIndexFile | undefined;
  /** What an existence check of `path` finds at this commit. */
  probe(path: string): "file" | "dir" | "absent";
  /** Files inside any of `dirs` (a directory, or a file path standing for itself), sorted by path. */
  filesWithin(dirs: readonly string[]): TreeIndexFile[];
  linksWithin(dirs: readonly string[]): { path: string; target: string }[];
  hardLinksWithin(dirs: readonly string[]): string[];
};

/** Builds the lookups once per index. */
export function viewOf(index: TreeIndex): TreeView {
  const byPath = new Map(index.files.map((f) => [f.path, f]));
  const dirs = new Set<string>(["."]);
  const addParents = (path: string) => {
    for (let at = path.lastIndexOf("/"); at > 0; at = path.lastIndexOf("/", at - 1)) {
      const dir = path.slice(0, at);
      if (dirs.has(dir)) break;
      dirs.add(dir);
    }
  };
  for (const f of index.files) addParents(f.path);
  for (const l of index.links) addParents(l.path);
  // Sorted paths make "everything under a directory" one contiguous run: binary search, then scan.
  const files = [...index.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const firstAtOrAfter = (key: string) => {
    let lo = 0;
    let hi = files.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((files[mid]?.path ?? "") < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const normal = (dir: string) => dir.replace(/^\.\/+/, "").replace(/\/+$/, "") || ".";
  const underOne = (dir: string): TreeIndexFile[] => {
    const d = normal(dir);
    if (d === ".") return files;
    const out: TreeIndexFile[] = [];
    const exact = byPath.get(d);
    if (exact) out.push(exact);
    const prefix = `${d}/`;
    for (let i = firstAtOrAfter(prefix); i < files.length; i++) {
      const f = files[i];
      if (f === undefined || !f.path.startsWith(prefix)) break;
      out.push(f);
    }
    return out;
  };
  const within = (dirList: readonly string[], path: string) =>
    dirList.some((dir) => {
      const d = normal(dir);
      return d === "." || path === d || path.startsWith(`${d}/`);
    });
  return {
    index,
    file: (path) => byPath.get(path),
    probe(path) {
      const clean = path.replace(/\/+$/, "") || ".";
      if (byPath.has(clean) || index.links.some((l) => l.path === clean)) return "file";
      return dirs.has(clean) ? "dir" : "absent";
    },
    filesWithin(dirList) {
      if (dirList.length === 1) return underOne(dirList[0] ?? ".");
      const seen = new Map<string, TreeIndexFile>();
      for (const dir of dirList) for (const f of underOne(dir)) seen.set(f.path, f);
      return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    linksWithin: (dirList) => index.links.filter((l) => within(dirList, l.path)),
    hardLinksWithin: (dirList) => index.hardLinks.filter((p) => within(dirList, p)),
  };
}
