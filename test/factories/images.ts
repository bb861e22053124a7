/** Image automation test data: policies, pushed images, manifests with markers. */
import { readFileSync } from "node:fs";
import {
  type ImagePolicy,
  type ImagePolicyInput,
  imagePolicySchema,
} from "../../lib/config/image-policies.ts";
import { type Target, type TargetInput, targetSchema } from "../../lib/config/targets.ts";
import type { ImageJob } from "../../lib/images/image-job.ts";
import type { PushedImage } from "../../lib/images/plan-image-update.ts";

export const ECR_ACCOUNT = "123456789012";
export const ECR_REGION = "eu-west-1";
export const ECR_WEB = `${ECR_ACCOUNT}.dkr.ecr.${ECR_REGION}.amazonaws.com/web`;

/** A validated policy (defaults applied); semver `^1.0.0` on the ECR `web` repository unless overridden. */
export function imagePolicy(overrides: Partial<ImagePolicyInput> = {}): ImagePolicy {
  const input: ImagePolicyInput = { name: "web", repository: ECR_WEB, ...overrides };
  if (overrides.regex === undefined && overrides.semver === undefined) input.semver = "^1.0.0";
  return imagePolicySchema.parse(input);
}

/** A `sha256:` digest made from a seed (64 hex). */
export function digest(seed: string): string {
  let hex = "";
  for (let i = 0; hex.length < 64; i += 1)
    hex += ((seed.charCodeAt(i % seed.length) * 31 + i) % 256).toString(16).padStart(2, "0");
  return `sha256:${hex.slice(0, 64)}`;
}

export function pushedImage(tag: string, overrides: Partial<PushedImage> = {}): PushedImage {
  return { repository: ECR_WEB, tag, digest: digest(tag), ...overrides };
}

/** A Deployment whose container image carries a marker (Flux style unless `marker` is given). */
export function markedDeployment(options: { image?: string; marker?: string; name?: string } = {}): string {
  const marker = options.marker ?? '{"$imagepolicy": "web"}';
  return [
    "# Web front end; owned by team-web.",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${options.name ?? "web"}   # keep the name`,
    "spec:",
    "  replicas: 2",
    "  selector:",
    "    matchLabels: { app: web }",
    "  template:",
    "    metadata:",
    "      labels: { app: web }",
    "    spec:",
    "      containers:",
    "        - name: web",
    `          image: ${options.image ?? `${ECR_WEB}:1.4.1`} # ${marker}`,
    "          ports:",
    "            - containerPort: 8080   # http",
    "",
  ].join("\n");
}

/** A target (validated, defaults applied) with image automation for the `web` policy. */
export function imageTarget(
  overrides: Partial<TargetInput> & { policies?: ImagePolicyInput[]; mode?: "commit" | "pull-request" } = {},
): Target {
  const { policies, mode, ...rest } = overrides;
  return targetSchema.parse({
    name: "web-prod",
    repo: "acme/deploy",
    branch: "main",
    path: "apps/web",
    cluster: "prod",
    namespace: "web",
    images: {
      mode: mode ?? "commit",
      policies: policies ?? [{ name: "web", repository: ECR_WEB, semver: "^1.0.0" }],
    },
    ...rest,
  });
}

/** An image job as routing would queue it for `imageTarget()`. */
export function imageJob(tag: string, overrides: Partial<ImageJob> = {}): ImageJob {
  return {
    v: 1,
    type: "image",
    repo: "acme/deploy",
    branch: "main",
    mode: "commit",
    targets: ["web-prod"],
    image: { source: "ecr", repository: ECR_WEB, tag, digest: digest(tag) },
    eventId: `ecr-${tag}`,
    receivedAt: "2026-12-02T20:00:00.000Z",
    ...overrides,
  };
}

/** The AWS documentation's ECR push sample, with overrides applied to `detail` and the envelope. */
export function ecrPushEvent(
  options: {
    repositoryName?: string;
    tag?: string | null;
    digest?: string;
    account?: string;
    region?: string;
    id?: string;
    action?: string;
    result?: string;
  } = {},
): Record<string, unknown> {
  const event = JSON.parse(
    readFileSync(new URL("../fixtures/images/ecr-image-push.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  const detail = event.detail as Record<string, unknown>;
  if (options.repositoryName !== undefined) detail["repository-name"] = options.repositoryName;
  if (options.tag === null) delete detail["image-tag"];
  else if (options.tag !== undefined) detail["image-tag"] = options.tag;
  if (options.digest !== undefined) detail["image-digest"] = options.digest;
  if (options.action !== undefined) detail["action-type"] = options.action;
  if (options.result !== undefined) detail.result = options.result;
  if (options.account !== undefined) event.account = options.account;
  if (options.region !== undefined) event.region = options.region;
  if (options.id !== undefined) event.id = options.id;
  return event;
}

/** `@octokit/webhooks-examples`' `package` published example for a container, with a tag set. */
export function packagePublishedPayload(
  options: { tag?: string; name?: "container" | "npm"; targetOid?: string } = {},
): Record<string, unknown> {
  const file = options.name === "npm" ? "package-published-npm.json" : "package-published-container.json";
  const payload = JSON.parse(
    readFileSync(new URL(`../fixtures/webhooks/${file}`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  const version = (payload.package as Record<string, unknown>).package_version as Record<string, unknown>;
  const metadata = version.container_metadata as { tag?: { name: string } } | undefined;
  if (options.tag !== undefined && metadata?.tag !== undefined) metadata.tag.name = options.tag;
  if (options.targetOid !== undefined) version.target_oid = options.targetOid;
  return payload;
}
