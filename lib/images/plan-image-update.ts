/**
 * What one image event changes in one target's files: the located fields whose policy accepts the
 * pushed image, the new text of each changed file (only tag/digest characters replaced, every
 * other byte kept), and a reason for everything left alone. Pure: no I/O, no clock.
 */
import type { ImagePolicy } from "../config/image-policies.ts";
import { decideTag, type TagIgnoreCode } from "./choose-tag.ts";
import { formatImageRef, parseImageRef, sameRepository } from "./image-ref.ts";
import { type ImageField, locateImageFields, type TextRange } from "./locate-image-fields.ts";

/** The image a registry announced. */
export type PushedImage = {
  /** Repository without tag, as policies name it: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web`. */
  repository: string;
  tag: string;
  digest: string | undefined;
};

/** One field that changes. `from`/`to` are the field's text before and after. */
export type ImageChange = {
  file: string;
  line: number;
  policy: string;
  from: string;
  to: string;
  fromTag: string | undefined;
  toTag: string;
};

export const FieldIgnoreCode = {
  UnknownPolicy: "unknown-policy",
  RepositoryMismatch: "repository-mismatch",
  NotEditable: "not-editable",
  DigestWithoutPin: "digest-without-pin",
} as const;
export type FieldIgnoreCode = (typeof FieldIgnoreCode)[keyof typeof FieldIgnoreCode];

/** A field (or file problem) left alone, and why. */
export type IgnoredField = {
  file: string;
  line: number;
  code: FieldIgnoreCode | TagIgnoreCode;
  reason: string;
};

export type ImageUpdatePlan = {
  changes: ImageChange[];
  ignored: IgnoredField[];
  /** New text per changed file (repo-relative path). Empty when nothing changes. */
  files: Map<string, string>;
};

type Splice = { range: TextRange; text: string };

function applySplices(text: string, splices: readonly Splice[]): string {
  let out = text;
  for (const s of [...splices].sort((a, b) => b.range[0] - a.range[0])) {
    out = out.slice(0, s.range[0]) + s.text + out.slice(s.range[1]);
  }
  return out;
}

function splitTagDigest(text: string): { tag: string | undefined; digest: string | undefined } {
  const at = text.indexOf("@");
  return at === -1
    ? { tag: text || undefined, digest: undefined }
    : { tag: text.slice(0, at) || undefined, digest: text.slice(at + 1) };
}

/** Plans one marked field or `images:` entry: a splice and a change, or a logged reason to leave it. */
function planField(
  field: ImageField,
  policies: readonly ImagePolicy[],
  image: PushedImage,
  splices: Splice[],
  plan: ImageUpdatePlan,
): void {
  if (field.kind === "marker") planMarkedField(field, policies, image, splices, plan);
  else planKustomizeImage(field, policies, image, splices, plan);
}

/** A field marked with a policy comment: the whole image reference, or only its tag. */
function planMarkedField(
  field: Extract<ImageField, { kind: "marker" }>,
  policies: readonly ImagePolicy[],
  image: PushedImage,
  splices: Splice[],
  plan: ImageUpdatePlan,
): void {
  const at = { file: field.file, line: field.line };
  const policy = policies.find((p) => p.name === field.policy);
  if (policy === undefined) {
    plan.ignored.push({
      ...at,
      code: FieldIgnoreCode.UnknownPolicy,
      reason: `${field.file}:${field.line}: marker names policy ${field.policy}, which this target does not define`,
    });
    return;
  }
  if (!sameRepository(policy.repository, image.repository)) return;
  let current: { tag: string | undefined; digest: string | undefined };
  if (field.scope === "image") {
    const ref = parseImageRef(field.scalar.text);
    if (ref === undefined || !sameRepository(ref.repository, policy.repository)) {
      plan.ignored.push({
        ...at,
        code: FieldIgnoreCode.RepositoryMismatch,
        reason: `${field.file}:${field.line}: ${field.scalar.text} is not an image of ${policy.repository} (policy ${policy.name})`,
      });
      return;
    }
    current = ref;
  } else {
    current = splitTagDigest(field.scalar.text);
  }
  const decision = decideTag(policy, current, image);
  if (decision.kind === "ignore") {
    plan.ignored.push({
      ...at,
      code: decision.code,
      reason: `${field.file}:${field.line}: ${decision.reason}`,
    });
    return;
  }
  const tagText = `${decision.tag}${decision.digest === undefined ? "" : `@${decision.digest}`}`;
  const repository =
    field.scope === "image" ? (parseImageRef(field.scalar.text)?.repository ?? policy.repository) : "";
  const to =
    field.scope === "image"
      ? formatImageRef({ repository, tag: decision.tag, digest: decision.digest })
      : tagText;
  // Replace only what follows the repository: the repository's own spelling stays as written.
  const offset = field.scope === "image" ? repository.length : 0;
  splices.push({ range: [field.scalar.range[0] + offset, field.scalar.range[1]], text: to.slice(offset) });
  plan.changes.push({
    ...at,
    policy: policy.name,
    from: field.scalar.text,
    to,
    fromTag: current.tag,
    toTag: decision.tag,
  });
}

/** A `kustomization.yaml` `images:` entry: its `newTag` and `digest`, inserted when missing. */
function planKustomizeImage(
  field: Exclude<ImageField, { kind: "marker" }>,
  policies: readonly ImagePolicy[],
  image: PushedImage,
  splices: Splice[],
  plan: ImageUpdatePlan,
): void {
  const at = { file: field.file, line: field.line };
  const policy = policies.find((p) => sameRepository(p.repository, field.repository));
  if (policy === undefined || !sameRepository(policy.repository, image.repository)) return;
  const current = { tag: field.newTag?.text, digest: field.digest?.text };
  if (current.digest !== undefined && !policy.pinDigest) {
    plan.ignored.push({
      ...at,
      code: FieldIgnoreCode.DigestWithoutPin,
      reason: `${field.file}:${field.line}: images[${field.index}] pins a digest, which overrides newTag, but policy ${policy.name} does not pin digests`,
    });
    return;
  }
  const decision = decideTag(policy, current, image);
  if (decision.kind === "ignore") {
    plan.ignored.push({
      ...at,
      code: decision.code,
      reason: `${field.file}:${field.line}: images[${field.index}]: ${decision.reason}`,
    });
    return;
  }
  let inserted = "";
  if (field.newTag === undefined) inserted += `\n${field.indent}newTag: ${decision.tag}`;
  else if (field.newTag.text !== decision.tag)
    splices.push({ range: field.newTag.range, text: decision.tag });
  if (decision.digest !== undefined) {
    if (field.digest === undefined) inserted += `\n${field.indent}digest: ${decision.digest}`;
    else if (field.digest.text !== decision.digest)
      splices.push({ range: field.digest.range, text: decision.digest });
  }
  if (inserted !== "") splices.push({ range: [field.insertAt, field.insertAt], text: inserted });
  const show = (t: { tag: string | undefined; digest: string | undefined }) =>
    `${t.tag ?? "(no tag)"}${t.digest === undefined ? "" : `@${t.digest}`}`;
  plan.changes.push({
    ...at,
    policy: policy.name,
    from: show(current),
    to: show(decision),
    fromTag: current.tag,
    toTag: decision.tag,
  });
}

/** Plans the edits one pushed image causes in a target's YAML files (`files`: repo-relative path → text). */
export function planImageUpdate(
  files: ReadonlyMap<string, string>,
  policies: readonly ImagePolicy[],
  image: PushedImage,
): ImageUpdatePlan {
  const plan: ImageUpdatePlan = { changes: [], ignored: [], files: new Map() };
  for (const [file, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const located = locateImageFields(file, text);
    for (const problem of located.problems)
      plan.ignored.push({
        ...problem,
        code: FieldIgnoreCode.NotEditable,
        reason: `${problem.file}:${problem.line}: ${problem.reason}`,
      });
    const splices: Splice[] = [];
    for (const field of located.fields) planField(field, policies, image, splices, plan);
    if (splices.length === 0) continue;
    const next = applySplices(text, splices);
    if (next !== text) plan.files.set(file, next);
  }
  return plan;
}

/** True for paths image automation reads: YAML files and Kustomize's extension-less `Kustomization`. */
export function isImageAutomationFile(path: string): boolean {
  return /\.ya?ml$/i.test(path) || path.endsWith("/Kustomization") || path === "Kustomization";
}
