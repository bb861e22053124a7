/**
 * Which tag a policy accepts and whether a pushed tag replaces the one in Git. Pure: the two
 * guarantees — never a tag the policy does not match, never a downgrade (also from a current tag
 * outside the policy) — live here and are property-tested.
 */
import { compare, satisfies, valid } from "semver";
import type { ImagePolicy } from "../config/image-policies.ts";

/** What is written in Git now, and what the registry just announced. */
export type TagPair = { tag: string | undefined; digest: string | undefined };

export const TagIgnoreCode = {
  NotMatching: "tag-not-matching",
  NotNewer: "tag-not-newer",
  AlreadyCurrent: "already-current",
  NoDigest: "no-digest",
  /** The current tag is outside the policy but reads as a version at or above the candidate. */
  OutsidePolicy: "current-outside-policy",
} as const;
export type TagIgnoreCode = (typeof TagIgnoreCode)[keyof typeof TagIgnoreCode];

export type TagDecision =
  | { kind: "update"; tag: string; digest: string | undefined }
  | { kind: "ignore"; code: TagIgnoreCode; reason: string };

type OrderKey =
  | { kind: "semver"; version: string }
  | { kind: "numerical"; value: bigint }
  | { kind: "alphabetical"; value: string };

const compiled = new WeakMap<ImagePolicy, RegExp>();
function regexOf(policy: ImagePolicy): RegExp | undefined {
  if (policy.regex === undefined) return undefined;
  let re = compiled.get(policy);
  if (re === undefined) {
    // Anchored: a pattern must describe the whole tag, or `1` would accept `1-debug`.
    re = new RegExp(`^(?:${policy.regex.pattern})$`, "u");
    compiled.set(policy, re);
  }
  return re;
}

/** The key a tag is ordered by under the policy; undefined when the policy does not accept the tag. */
function orderKey(policy: ImagePolicy, tag: string): OrderKey | undefined {
  if (policy.semver !== undefined) {
    const version = valid(tag);
    if (version === null) return undefined;
    return satisfies(version, policy.semver, { includePrerelease: policy.prerelease })
      ? { kind: "semver", version }
      : undefined;
  }
  const re = regexOf(policy);
  const spec = policy.regex;
  if (re === undefined || spec === undefined) return undefined;
  const match = re.exec(tag);
  if (match === null) return undefined;
  const captured = typeof spec.capture === "number" ? match[spec.capture] : match.groups?.[spec.capture];
  if (captured === undefined) return undefined;
  if (spec.order === "alphabetical") return { kind: "alphabetical", value: captured };
  return /^[0-9]{1,40}$/.test(captured) ? { kind: "numerical", value: BigInt(captured) } : undefined;
}

/** True when the policy accepts the tag. */
export function tagMatches(policy: ImagePolicy, tag: string): boolean {
  return orderKey(policy, tag) !== undefined;
}

function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a.kind === "semver" && b.kind === "semver") return compare(a.version, b.version);
  if (a.kind === "numerical" && b.kind === "numerical")
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  if (a.kind === "alphabetical" && b.kind === "alphabetical")
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return 0;
}

/** Orders two tags the policy accepts (negative: `a` is older). Throws for a tag it does not accept. */
export function compareTags(policy: ImagePolicy, a: string, b: string): number {
  const [ka, kb] = [orderKey(policy, a), orderKey(policy, b)];
  if (ka === undefined || kb === undefined)
    throw new Error(`compareTags: ${ka === undefined ? a : b} is outside policy ${policy.name}`);
  return compareKeys(ka, kb);
}

/**
 * A tag read as a version whatever the policy: semver, optionally `v`-prefixed, or short (`2`,
 * `v2.1`, a date-like `20261202`). Used only to refuse a downgrade from a current tag outside the
 * policy; null for tags that are no version at all (`latest`, `main`, `sha-abc1234`).
 */
function looseVersion(tag: string): string | null {
  const m =
    /^v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?(-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.exec(
      tag,
    );
  if (m === null) return valid(tag);
  return valid(`${m[1]}.${m[2] ?? "0"}.${m[3] ?? "0"}${m[4] ?? ""}`);
}

function describePolicy(policy: ImagePolicy): string {
  if (policy.semver !== undefined)
    return `semver range ${policy.semver}${policy.prerelease ? " (with pre-releases)" : ""}`;
  return `pattern /${policy.regex?.pattern ?? ""}/`;
}

/**
 * Decides whether `candidate` (the pushed image) replaces `current` (what Git has). A current tag
 * the policy does not accept is replaced only when that is no downgrade: when both read as
 * versions (`2.0.0` under `^1.4.0`, `v2`), the candidate must be higher, else it is refused with
 * `current-outside-policy`; a current tag that is no version (`latest`, `main`) cannot be ordered
 * against, so an accepted candidate brings the field under the policy.
 */
export function decideTag(policy: ImagePolicy, current: TagPair, candidate: TagPair): TagDecision {
  const tag = candidate.tag;
  if (tag === undefined || !tagMatches(policy, tag)) {
    return {
      kind: "ignore",
      code: TagIgnoreCode.NotMatching,
      reason: `tag ${tag ?? "(none)"} does not match policy ${policy.name} (${describePolicy(policy)})`,
    };
  }
  if (policy.pinDigest && candidate.digest === undefined) {
    return {
      kind: "ignore",
      code: TagIgnoreCode.NoDigest,
      reason: `policy ${policy.name} pins digests but the event carries none`,
    };
  }
  const digest = policy.pinDigest ? candidate.digest : undefined;
  if (current.tag !== undefined && tagMatches(policy, current.tag)) {
    const order = compareTags(policy, tag, current.tag);
    if (order < 0) {
      return {
        kind: "ignore",
        code: TagIgnoreCode.NotNewer,
        reason: `tag ${tag} is older than ${current.tag} (policy ${policy.name})`,
      };
    }
    if (order === 0) {
      // Same position in the order: only a pinned digest can still move (the tag was re-pushed).
      if (tag === current.tag && digest !== undefined && digest !== current.digest)
        return { kind: "update", tag, digest };
      return {
        kind: "ignore",
        code: TagIgnoreCode.AlreadyCurrent,
        reason: `${current.tag}${current.digest ? `@${current.digest}` : ""} is already current (policy ${policy.name})`,
      };
    }
  }
  if (current.tag !== undefined && !tagMatches(policy, current.tag)) {
    const [was, next] = [looseVersion(current.tag), looseVersion(tag)];
    if (was !== null && next !== null && compare(next, was) <= 0) {
      return {
        kind: "ignore",
        code: TagIgnoreCode.OutsidePolicy,
        reason: `current tag ${current.tag} is outside policy ${policy.name} (${describePolicy(policy)}) and not older than ${tag}: refusing a downgrade; set the tag by hand or widen the policy`,
      };
    }
  }
  if (tag === current.tag && digest === current.digest) {
    return {
      kind: "ignore",
      code: TagIgnoreCode.AlreadyCurrent,
      reason: `${tag} is already current (policy ${policy.name})`,
    };
  }
  return { kind: "update", tag, digest };
}
