/**
 * Derived routing: what a target's last render read — its files, the directories it listed, the
 * paths whose existence it checked — recorded per target, so a push is routed to a target exactly
 * when it changes one of those (or the target's own path and `watch`), and the worker knows what
 * to read next time. A target with no record yet gets every push of its branch. Pure.
 */
import type { ProbeResult } from "../render/renderer-port.ts";

/** One target's record. */
export type RoutingRecord = {
  /** The commit the record was made at. */
  sha: string;
  /** Digest of what the render read at `sha` (input-digest.ts): unchanged inputs, same digest. */
  digest: string;
  /** Files the render read. */
  inputs: readonly string[];
  /** Directories it listed. */
  listed: readonly string[];
  /** Paths whose existence it checked, and what it found. */
  probed: Readonly<Record<string, ProbeResult>>;
};

/** The records of every target of one repository branch: what the webhook reads to route a push. */
export type BranchRouting = {
  v: 1;
  repo: string;
  branch: string;
  targets: Readonly<Record<string, RoutingRecord>>;
};

const within = (dir: string, path: string) => dir === "." || path === dir || path.startsWith(`${dir}/`);

/**
 * Whether a change to `path` (added, modified or removed) can change the render `record`
 * describes: a file it read, anything in a directory it listed, or the path it checked — for a
 * path it found absent, anything created at or under it.
 */
export function recordTouches(
  record: Pick<RoutingRecord, "inputs" | "listed" | "probed">,
  path: string,
): boolean {
  if (record.inputs.includes(path)) return true;
  if (record.listed.some((dir) => within(dir, path))) return true;
  for (const [probe, found] of Object.entries(record.probed)) {
    if (found === "absent" ? within(probe, path) : probe === path) return true;
  }
  return false;
}

/** Whether two records name the same paths (a change of digest alone needs no new routing). */
export function samePaths(a: RoutingRecord | undefined, b: RoutingRecord): boolean {
  if (a === undefined) return false;
  const list = (xs: readonly string[]) => JSON.stringify([...xs].sort());
  const probes = (p: Readonly<Record<string, ProbeResult>>) =>
    JSON.stringify(Object.entries(p).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return (
    list(a.inputs) === list(b.inputs) &&
    list(a.listed) === list(b.listed) &&
    probes(a.probed) === probes(b.probed)
  );
}
