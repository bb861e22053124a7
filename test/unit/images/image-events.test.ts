import { describe, expect, it } from "vitest";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { parseEcrEvent, parsePackageDelivery } from "../../../lib/images/image-event.ts";
import {
  decodeImageJob,
  encodeImageJob,
  imageJobDedupId,
  imageJobGroupId,
} from "../../../lib/images/image-job.ts";
import { routeImageEvent } from "../../../lib/images/route-image-event.ts";
import { ecrPushEvent, imageTarget, packagePublishedPayload } from "../../factories/images.ts";

const DOC_REPO = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name";
const now = "2026-12-02T20:00:00.000Z";

describe("parseEcrEvent", () => {
  it("reads AWS's documented push sample as an image of the account's regional registry", () => {
    expect(parseEcrEvent(ecrPushEvent())).toEqual({
      kind: "image",
      event: {
        source: "ecr",
        eventId: "13cde686-328b-6117-af20-0e5566167482",
        repository: DOC_REPO,
        tag: "latest",
        digest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234",
        account: "123456789012",
        builtFrom: undefined,
      },
    });
  });

  it("rejects deletions, failed pushes, untagged pushes and other events with a reason", () => {
    expect(parseEcrEvent(ecrPushEvent({ action: "DELETE" }))).toMatchObject({
      kind: "reject",
      code: "not-an-image-push",
    });
    expect(parseEcrEvent(ecrPushEvent({ result: "FAILURE" }))).toMatchObject({
      kind: "reject",
      code: "push-failed",
    });
    expect(parseEcrEvent(ecrPushEvent({ tag: null }))).toMatchObject({ kind: "reject", code: "untagged" });
    expect(parseEcrEvent({ source: "aws.s3", "detail-type": "Object Created", detail: {} })).toMatchObject({
      kind: "reject",
      code: "not-an-image-push",
    });
    expect(parseEcrEvent(ecrPushEvent({ tag: "bad tag" }))).toMatchObject({
      kind: "reject",
      code: "malformed-event",
    });
  });
});

describe("parsePackageDelivery", () => {
  it("reads @octokit/webhooks-examples' container package: ghcr.io repository lowercased, tag, digest, source commit", () => {
    const decision = parsePackageDelivery("package", "delivery-1", packagePublishedPayload({ tag: "1.4.2" }));
    expect(decision).toEqual({
      kind: "image",
      event: {
        source: "ghcr",
        eventId: "delivery-1",
        repository: "ghcr.io/codertocat/hello-world",
        tag: "1.4.2",
        // The example's (shortened, placeholder) container_metadata.tag.digest.
        digest: "sha256:6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b",
        account: undefined,
        builtFrom: { repo: "Codertocat/hello-world-npm", sha: "6c62fb45fe66bfb1ea9a66abc38f6a0cc974292b" },
      },
    });
  });

  it("rejects the example as published (no tag), npm packages and non-published actions", () => {
    expect(parsePackageDelivery("package", "d", packagePublishedPayload())).toMatchObject({
      kind: "reject",
      code: "untagged",
    });
    expect(parsePackageDelivery("package", "d", packagePublishedPayload({ name: "npm" }))).toMatchObject({
      kind: "reject",
      code: "not-a-container",
    });
    expect(
      parsePackageDelivery("package", "d", {
        ...packagePublishedPayload({ tag: "1.0.0" }),
        action: "updated",
      }),
    ).toMatchObject({ kind: "reject", code: "not-an-image-push" });
  });

  it("reads the same shape under registry_package", () => {
    const payload = packagePublishedPayload({ tag: "2.0.0" });
    const decision = parsePackageDelivery("registry_package", "d", {
      action: "published",
      registry_package: payload.package,
      repository: payload.repository,
    });
    expect(decision).toMatchObject({
      kind: "image",
      event: { repository: "ghcr.io/codertocat/hello-world", tag: "2.0.0" },
    });
  });
});

describe("routeImageEvent", () => {
  const web = imageTarget({
    name: "web-prod",
    policies: [{ name: "web", repository: DOC_REPO, semver: "*" }],
  });
  const staging = imageTarget({
    name: "web-staging",
    path: "apps/staging",
    policies: [{ name: "web", repository: DOC_REPO, semver: "*" }],
  });
  const other = imageTarget({
    name: "other",
    branch: "release",
    policies: [{ name: "web", repository: DOC_REPO, semver: "*" }],
  });
  const pr = imageTarget({
    name: "pr",
    repo: "acme/other",
    mode: "pull-request",
    policies: [{ name: "web", repository: DOC_REPO, semver: "*" }],
  });
  const plain = imageTarget({ name: "plain" });

  it("one job per repository branch and mode, carrying every target on it", () => {
    const decision = routeImageEvent(parseEcrEvent(ecrPushEvent()), [web, staging, other, pr, plain], now);
    expect(decision.kind).toBe("queue");
    if (decision.kind !== "queue") return;
    expect(decision.jobs.map((j) => [j.repo, j.branch, j.mode, j.targets])).toEqual([
      ["acme/deploy", "main", "commit", ["web-prod", "web-staging"]],
      ["acme/deploy", "release", "commit", ["other"]],
      ["acme/other", "main", "pull-request", ["pr"]],
    ]);
    const [first] = decision.jobs;
    if (first === undefined) return;
    const job = decodeImageJob(encodeImageJob(first));
    expect(imageJobGroupId(job)).toBe("acme/deploy/main");
    expect(imageJobDedupId(job)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("rejects an account no policy names, and a repository no policy names", () => {
    expect(
      routeImageEvent(parseEcrEvent(ecrPushEvent({ account: "999999999999" })), [web], now),
    ).toMatchObject({
      kind: "reject",
      code: "account-not-allowed",
      reason: "ECR account 999999999999 is not named by any image policy",
    });
    expect(
      routeImageEvent(parseEcrEvent(ecrPushEvent({ repositoryName: "unknown" })), [web], now),
    ).toMatchObject({ kind: "reject", code: "unknown-repository" });
  });
});

describe("image policies in the targets file", () => {
  const file = (images: unknown) => ({
    version: 1,
    clusters: { prod: { type: "kubeconfig", source: "default" } },
    targets: [{ name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web", images }],
  });

  it("names the field of an invalid policy", () => {
    expect(() =>
      parseTargetsConfig(
        file({ policies: [{ name: "web", repository: "ghcr.io/acme/web", semver: "not a range" }] }),
      ),
    ).toThrow("targets[0].images.policies[0].semver: must be a valid semver range");
    expect(() =>
      parseTargetsConfig(file({ policies: [{ name: "web", repository: "ghcr.io/acme/web" }] })),
    ).toThrow("targets[0].images.policies[0]: set exactly one of `semver` or `regex`");
    expect(() =>
      parseTargetsConfig(
        file({ policies: [{ name: "web", repository: "ghcr.io/acme/web:1.0", semver: "*" }] }),
      ),
    ).toThrow("targets[0].images.policies[0].repository");
    expect(() =>
      parseTargetsConfig(
        file({ policies: [{ name: "web", repository: "ghcr.io/a/web", regex: { pattern: "(" } }] }),
      ),
    ).toThrow("targets[0].images.policies[0].regex.pattern: must be a valid regular expression");
  });

  it("fills defaults: commit mode, numerical order on the first capture, no digest pinning", () => {
    const parsed = parseTargetsConfig(
      file({
        policies: [{ name: "web", repository: "ghcr.io/acme/web", regex: { pattern: "main-([0-9]+)" } }],
      }),
    );
    expect(parsed.targets[0]?.images).toEqual({
      mode: "commit",
      policies: [
        {
          name: "web",
          repository: "ghcr.io/acme/web",
          regex: { pattern: "main-([0-9]+)", capture: 1, order: "numerical" },
          prerelease: false,
          pinDigest: false,
        },
      ],
    });
  });
});
