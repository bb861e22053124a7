/**
 * "A new image exists", from either registry: an ECR `ECR Image Action` EventBridge event or a
 * GitHub `package` / `registry_package` delivery for a container package. Pure: the shapes are
 * read defensively (they come from outside) and anything else is a rejection with a reason.
 */
import { DIGEST_PATTERN } from "./image-ref.ts";

/** A pushed image, registry-neutral. */
export type ImageEvent = {
  source: "ecr" | "ghcr";
  /** EventBridge event id or `X-GitHub-Delivery`: part of the job's dedup id. */
  eventId: string;
  /** Repository as manifests reference it: `123456789012.dkr.ecr.us-west-2.amazonaws.com/web`, `ghcr.io/acme/web`. */
  repository: string;
  tag: string;
  digest: string | undefined;
  /** ECR: the account that owns the repository. */
  account: string | undefined;
  /** GHCR: the repository and commit the package was built from, when GitHub says so (loop guard). */
  builtFrom: { repo: string; sha: string } | undefined;
};

export const ImageRejectCode = {
  NotAnImagePush: "not-an-image-push",
  PushFailed: "push-failed",
  Untagged: "untagged",
  NotAContainer: "not-a-container",
  Malformed: "malformed-event",
  UnknownRepository: "unknown-repository",
  AccountNotAllowed: "account-not-allowed",
  BadSignature: "bad-signature",
} as const;
export type ImageRejectCode = (typeof ImageRejectCode)[keyof typeof ImageRejectCode];

export type ImageEventDecision =
  | { kind: "image"; event: ImageEvent }
  | { kind: "reject"; code: ImageRejectCode; reason: string };

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const str = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const reject = (code: ImageRejectCode, reason: string): ImageEventDecision => ({
  kind: "reject",
  code,
  reason,
});

/** Reads an EventBridge event from ECR (the rule already filters, but the function checks again). */
export function parseEcrEvent(raw: unknown): ImageEventDecision {
  const event = obj(raw);
  const detail = obj(event?.detail);
  if (event?.source !== "aws.ecr" || event["detail-type"] !== "ECR Image Action" || detail === undefined) {
    return reject(
      ImageRejectCode.NotAnImagePush,
      `not an ECR Image Action event (source ${String(event?.source)}, detail-type ${String(event?.["detail-type"])})`,
    );
  }
  if (detail["action-type"] !== "PUSH")
    return reject(
      ImageRejectCode.NotAnImagePush,
      `ECR action ${String(detail["action-type"])} is not a push`,
    );
  if (detail.result !== "SUCCESS")
    return reject(ImageRejectCode.PushFailed, `ECR push result ${String(detail.result)}`);
  const [id, account, region, name] = [
    str(event.id),
    str(event.account),
    str(event.region),
    str(detail["repository-name"]),
  ];
  if (
    id === undefined ||
    account === undefined ||
    region === undefined ||
    name === undefined ||
    !/^[0-9]{12}$/.test(account)
  ) {
    return reject(ImageRejectCode.Malformed, "ECR event lacks id, account, region or repository-name");
  }
  const tag = str(detail["image-tag"]);
  if (tag === undefined) return reject(ImageRejectCode.Untagged, `ECR push to ${name} has no tag`);
  if (!TAG.test(tag))
    return reject(ImageRejectCode.Malformed, `ECR image tag ${JSON.stringify(tag)} is not a valid tag`);
  const digest = str(detail["image-digest"]);
  if (digest !== undefined && !DIGEST_PATTERN.test(digest))
    return reject(ImageRejectCode.Malformed, "ECR image-digest is not a digest");
  const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return {
    kind: "image",
    event: {
      source: "ecr",
      eventId: id,
      repository: `${account}.dkr.ecr.${region}.${suffix}/${name}`,
      tag,
      digest,
      account,
      builtFrom: undefined,
    },
  };
}

/** Reads a verified GitHub `package` / `registry_package` delivery. */
export function parsePackageDelivery(
  event: string,
  deliveryId: string,
  payload: unknown,
): ImageEventDecision {
  const body = obj(payload);
  const pkg = obj(body?.[event === "registry_package" ? "registry_package" : "package"]);
  if (pkg === undefined) return reject(ImageRejectCode.Malformed, `${event} delivery has no ${event} object`);
  if (body?.action !== "published")
    return reject(ImageRejectCode.NotAnImagePush, `${event} action ${String(body?.action)} is not published`);
  const registry = obj(pkg.registry);
  const kinds = [str(pkg.package_type), str(registry?.type)].map((k) => k?.toLowerCase());
  if (!kinds.some((k) => k === "container" || k === "docker")) {
    return reject(
      ImageRejectCode.NotAContainer,
      `package ${String(pkg.name)} is a ${kinds[0] ?? "unknown"} package, not a container image`,
    );
  }
  const version = obj(pkg.package_version);
  const tagInfo = obj(obj(version?.container_metadata)?.tag);
  const tag = str(tagInfo?.name);
  const url = str(version?.package_url);
  if (tag === undefined)
    return reject(
      ImageRejectCode.Untagged,
      `container package ${String(pkg.name)} was published without a tag`,
    );
  if (!TAG.test(tag))
    return reject(ImageRejectCode.Malformed, `package tag ${JSON.stringify(tag)} is not a valid tag`);
  // `package_url` is `ghcr.io/Owner/name:tag`; registries compare repository paths lowercased.
  const repository = url?.replace(/:[^/]*$/, "").toLowerCase();
  if (repository === undefined || !/^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/.test(repository)) {
    return reject(
      ImageRejectCode.Malformed,
      "package_version.package_url is missing or not an image reference",
    );
  }
  const digest = str(tagInfo?.digest) ?? str(version?.name);
  const repo = str(obj(body?.repository)?.full_name);
  const sha = str(version?.target_oid);
  return {
    kind: "image",
    event: {
      source: "ghcr",
      eventId: deliveryId,
      repository,
      tag,
      digest: digest !== undefined && DIGEST_PATTERN.test(digest) ? digest : undefined,
      account: undefined,
      builtFrom:
        repo !== undefined && sha !== undefined && /^[0-9a-f]{40}$/.test(sha) ? { repo, sha } : undefined,
    },
  };
}
