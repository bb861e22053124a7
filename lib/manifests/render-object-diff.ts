/**
 * Per-object unified diff of YAML, for plans, PR previews and check runs. Secret data is
 * masked before any text is produced, so no caller can leak it by accident.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import type { KubeObject } from "./kube-object.ts";
import { describeObject } from "./kube-object.ts";
import { maskSecretPair } from "./mask-secret-data.ts";
import { renderObjectYaml } from "./render-object-yaml.ts";

export type RenderObjectDiffOptions = {
  /** Unchanged lines shown around each change (default 3, as `diff -u`). */
  context?: number;
  /** Name of the old side in the header (default `live`). */
  beforeLabel?: string;
  /** Name of the new side in the header (default `desired`). */
  afterLabel?: string;
  /** Fields (JSON pointers) holding decrypted values, masked on both sides like Secret values. */
  sensitive?: readonly string[] | undefined;
};

/**
 * Unified diff from `before` to `after` (either may be absent: create or prune), headed
 * `--- live Deployment.apps team-a/web` / `+++ desired …`; "" when they render the same.
 * Both sides should already be normalised (server-set fields removed) by the caller.
 */
export function renderObjectDiff(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  options: RenderObjectDiffOptions = {},
): string {
  const masked = maskSecretPair(before, after, options.sensitive);
  const beforeText = masked.before ? renderObjectYaml(masked.before) : "";
  const afterText = masked.after ? renderObjectYaml(masked.after) : "";
  if (beforeText === afterText) return "";
  const name = (object: KubeObject | undefined) => (object ? describeObject(object) : "(none)");
  return createTwoFilesPatch(
    `${options.beforeLabel ?? "live"} ${name(before)}`,
    `${options.afterLabel ?? "desired"} ${name(after)}`,
    beforeText,
    afterText,
    undefined,
    undefined,
    { context: options.context ?? 3, headerOptions: FILE_HEADERS_ONLY },
  );
}
