import fc from "fast-check";
import { compare, satisfies, valid } from "semver";
import { describe, expect, it } from "vitest";
import { compareTags, decideTag, tagMatches } from "../../../lib/images/choose-tag.ts";
import { digest, imagePolicy } from "../../factories/images.ts";

const version = fc
  .tuple(
    fc.nat(5),
    fc.nat(12),
    fc.nat(12),
    fc.option(fc.constantFrom("rc.1", "rc.2", "beta"), { nil: undefined }),
    fc.boolean(),
  )
  .map(([a, b, c, pre, v]) => `${v ? "v" : ""}${a}.${b}.${c}${pre === undefined ? "" : `-${pre}`}`);
/** Tags semver policies meet in practice: versions, near-misses and junk. */
const anyTag = fc.oneof(
  version,
  fc.constantFrom("latest", "main", "1.4", "1.4.2.1", "sha-abc123"),
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,20}$/),
);
const range = fc.constantFrom("^1.0.0", "~1.4.0", ">=1.4.0 <3", "*", "1.x || 3.x", ">=0.1.0");

describe("decideTag (semver)", () => {
  it("never chooses a tag outside the range and never a version below the current one", () => {
    fc.assert(
      fc.property(range, fc.boolean(), anyTag, anyTag, (semver, prerelease, current, candidate) => {
        // Prepare
        const policy = imagePolicy({ semver, prerelease });

        // Act
        const decision = decideTag(
          policy,
          { tag: current, digest: undefined },
          { tag: candidate, digest: digest(candidate) },
        );

        // Assess
        if (decision.kind !== "update") return;
        expect(decision.tag).toBe(candidate);
        const v = valid(candidate);
        expect(v).not.toBeNull();
        expect(satisfies(v ?? "", semver, { includePrerelease: prerelease })).toBe(true);
        if (tagMatches(policy, current)) expect(compare(v ?? "", valid(current) ?? "")).toBe(1);
      }),
    );
  });

  it("updates to every accepted version above the current one", () => {
    fc.assert(
      fc.property(version, version, (current, candidate) => {
        const policy = imagePolicy({ semver: ">=0.0.0", prerelease: true });
        const decision = decideTag(
          policy,
          { tag: current, digest: undefined },
          { tag: candidate, digest: undefined },
        );
        expect(decision.kind === "update").toBe(compare(valid(candidate) ?? "", valid(current) ?? "") > 0);
      }),
    );
  });
});

describe("decideTag: a current tag outside the policy", () => {
  /** A version written the ways manifests write one: `2.0.0`, `v2.0.0`, `2.0`, `2`. */
  const written = fc
    .tuple(fc.nat(4), fc.nat(6), fc.nat(6), fc.constantFrom("full", "v", "minor", "major"))
    .filter(([, b, c, form]) => (form === "minor" ? c === 0 : form === "major" ? b === 0 && c === 0 : true))
    .map(([a, b, c, form]) => ({
      order: [a, b, c] as const,
      tag:
        form === "full"
          ? `${a}.${b}.${c}`
          : form === "v"
            ? `v${a}.${b}.${c}`
            : form === "minor"
              ? `${a}.${b}`
              : `${a}`,
    }));
  const above = (x: readonly number[], y: readonly number[]) => {
    for (let i = 0; i < 3; i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
    return false;
  };

  it("never replaces it by a lower or equal version, however the current one is written", () => {
    fc.assert(
      fc.property(range, written, written, (semver, current, candidate) => {
        // Prepare
        const policy = imagePolicy({ semver });
        fc.pre(!tagMatches(policy, current.tag));

        // Act
        const decision = decideTag(
          policy,
          { tag: current.tag, digest: undefined },
          { tag: candidate.tag, digest: undefined },
        );

        // Assess
        if (decision.kind === "update") expect(above(candidate.order, current.order)).toBe(true);
        else if (tagMatches(policy, candidate.tag))
          expect(decision).toMatchObject({ kind: "ignore", code: "current-outside-policy" });
      }),
    );
  });

  it("2.0.0 under ^1.4.0 is not 'updated' to 1.4.2 (refused with the reason); 1.0.0 and latest are", () => {
    const policy = imagePolicy({ semver: "^1.4.0" });
    const push = { tag: "1.4.2", digest: undefined };
    expect(decideTag(policy, { tag: "2.0.0", digest: undefined }, push)).toEqual({
      kind: "ignore",
      code: "current-outside-policy",
      reason:
        "current tag 2.0.0 is outside policy web (semver range ^1.4.0) and not older than 1.4.2: refusing a downgrade; set the tag by hand or widen the policy",
    });
    expect(decideTag(policy, { tag: "2.0.0-rc.1", digest: undefined }, push)).toMatchObject({
      kind: "ignore",
    });
    expect(decideTag(policy, { tag: "1.0.0", digest: undefined }, push)).toMatchObject({ kind: "update" });
    expect(decideTag(policy, { tag: "latest", digest: undefined }, push)).toMatchObject({ kind: "update" });
  });
});

describe("decideTag (regex)", () => {
  const timestamped = fc
    .tuple(
      fc.constantFrom("main", "dev"),
      fc.bigInt({ min: 1n, max: 99_999_999_999_999n }),
      fc.stringMatching(/^[0-9a-f]{7}$/),
    )
    .map(([b, ts, sha]) => `${b}-${ts}-${sha}`);
  const tags = fc.oneof(timestamped, anyTag);

  it("numerical: only tags matching the whole pattern, ordered by the capture as a number, never down", () => {
    fc.assert(
      fc.property(tags, tags, (current, candidate) => {
        // Prepare
        const policy = imagePolicy({
          regex: { pattern: "main-(?<ts>[0-9]+)-[0-9a-f]{7}", capture: "ts", order: "numerical" },
        });
        const ts = (t: string) => BigInt(/^main-([0-9]+)-[0-9a-f]{7}$/.exec(t)?.[1] ?? "-1");

        // Act
        const decision = decideTag(
          policy,
          { tag: current, digest: undefined },
          { tag: candidate, digest: undefined },
        );

        // Assess
        if (decision.kind !== "update") return;
        expect(candidate).toMatch(/^main-[0-9]+-[0-9a-f]{7}$/);
        if (/^main-[0-9]+-[0-9a-f]{7}$/.test(current)) expect(ts(candidate) > ts(current)).toBe(true);
      }),
    );
  });

  it("alphabetical ordering compares the capture as text", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{8}$/), fc.stringMatching(/^[0-9]{8}$/), (a, b) => {
        const policy = imagePolicy({ regex: { pattern: "build-([0-9]{8})", order: "alphabetical" } });
        expect(Math.sign(compareTags(policy, `build-${a}`, `build-${b}`))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});

describe("decideTag (cases)", () => {
  it("numerical order is by value, not by text (build 10 beats build 9)", () => {
    const policy = imagePolicy({ regex: { pattern: "build-([0-9]+)" } });
    expect(
      decideTag(policy, { tag: "build-9", digest: undefined }, { tag: "build-10", digest: undefined }),
    ).toEqual({ kind: "update", tag: "build-10", digest: undefined });
  });

  it("ignores an older tag, the same tag and a non-matching tag with a reason", () => {
    const policy = imagePolicy({ semver: "^1.0.0" });
    const current = { tag: "1.4.1", digest: undefined };
    expect(decideTag(policy, current, { tag: "1.3.9", digest: undefined })).toMatchObject({
      kind: "ignore",
      code: "tag-not-newer",
      reason: "tag 1.3.9 is older than 1.4.1 (policy web)",
    });
    expect(decideTag(policy, current, { tag: "1.4.1", digest: undefined })).toMatchObject({
      kind: "ignore",
      code: "already-current",
    });
    expect(decideTag(policy, current, { tag: "2.0.0", digest: undefined })).toMatchObject({
      kind: "ignore",
      code: "tag-not-matching",
      reason: "tag 2.0.0 does not match policy web (semver range ^1.0.0)",
    });
  });

  it("with digest pinning, a re-pushed tag moves the digest; an event without digest is ignored", () => {
    const policy = imagePolicy({ pinDigest: true });
    expect(
      decideTag(policy, { tag: "1.4.1", digest: digest("old") }, { tag: "1.4.1", digest: digest("new") }),
    ).toEqual({ kind: "update", tag: "1.4.1", digest: digest("new") });
    expect(
      decideTag(policy, { tag: "1.4.1", digest: digest("a") }, { tag: "1.4.1", digest: digest("a") }),
    ).toMatchObject({ kind: "ignore", code: "already-current" });
    expect(
      decideTag(policy, { tag: "1.4.1", digest: undefined }, { tag: "1.4.2", digest: undefined }),
    ).toMatchObject({ kind: "ignore", code: "no-digest" });
  });

  it("a current tag outside the policy (latest) is replaced by an accepted one", () => {
    expect(
      decideTag(imagePolicy(), { tag: "latest", digest: undefined }, { tag: "1.0.0", digest: undefined }),
    ).toMatchObject({ kind: "update", tag: "1.0.0" });
  });
});
