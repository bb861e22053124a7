/**
 * What one image event changes in one target's files: the located fields whose policy accepts the
 * pushed image, the new text of each changed file (only tag/digest characters replaced, every
 * other byte kept), and a reason for everything left alone. Pure: no I/O, no clock.
 */
import type { ImagePolicy } from "../config/image-policies.ts";
import { decideTag, type TagIgnoreCode } from "./choose-tag.ts";
import { formatImageRef, parseImageRef, sameRepository } from "./image-ref.ts";
import {
  type EditableScalar,
  type KustomizeField,
  locateImageFields,
  type MarkedField,
  readsAsString,
  type TextRange,
} from "./locate-image-fields.ts";

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
  /** A field the image would change in a target's `watch` path (a base other overlays may share). */
  OutsideTargetPath: "outside-target-path",
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

/** `value` as a plain scalar when it reads back as that string (YAML 1.2 and 1.1), else double-quoted. */
function scalarText(value: string): string {
  return readsAsString(value) ? value : `"${value}"`;
}

/**
 * The splice that makes `scalar` hold `value`, keeping its first `keep` characters (a repository's
 * own spelling). A plain scalar whose new value would read as a number, bool, null or date is
 * quoted, so the field stays a string (`tag: latest` → `tag: "20261202"`, never an integer).
 */
function edit(scalar: EditableScalar, value: string, keep = 0): Splice | undefined {
  if (scalar.text === value) return undefined;
  if (scalar.plain && !readsAsString(value)) return { range: scalar.outer, text: `"${value}"` };
  return { range: [scalar.range[0] + keep, scalar.range[1]], text: value.slice(keep) };
}

function splitTagDigest(text: string): { tag: string | undefined; digest: string | undefined } {
  const at = text.indexOf("@");
  return at === -1
    ? { tag: text || undefined, digest: undefined }
    : { tag: text.slice(0, at) || undefined, digest: text.slice(at + 1) };
}

/**
 * One policy's markers in one mapping, decided together: the image or `:tag` field, its `:digest`
 * field when the digest is kept apart (Flux's layout for `kustomization.yaml` images), and `:name`
 * fields, which must name the policy's repository and are never edited.
 */
function planMarkerGroup(
  fields: readonly MarkedField[],
  policies: readonly ImagePolicy[],
  image: PushedImage,
  splices: Splice[],
  plan: ImageUpdatePlan,
): void {
  const [head] = fields;
  if (head === undefined) return;
  const where = (f: MarkedField) => ({ file: f.file, line: f.line });
  const policy = policies.find((p) => p.name === head.policy);
  if (policy === undefined) {
    for (const f of fields)
      plan.ignored.push({
        ...where(f),
        code: FieldIgnoreCode.UnknownPolicy,
        reason: `${f.file}:${f.line}: marker names policy ${f.policy}, which this target does not define`,
      });
    return;
  }
  if (!sameRepository(policy.repository, image.repository)) return;
  const refuse = (f: MarkedField, code: FieldIgnoreCode, why: string) =>
    plan.ignored.push({ ...where(f), code, reason: `${f.file}:${f.line}: ${why}` });
  const wrongName = fields.find(
    (f) => f.scope === "name" && !sameRepository(f.scalar.text, policy.repository),
  );
  if (wrongName !== undefined) {
    refuse(
      wrongName,
      FieldIgnoreCode.RepositoryMismatch,
      `${wrongName.scalar.text} is not ${policy.repository} (policy ${policy.name})`,
    );
    return;
  }
  const digests = fields.filter((f) => f.scope === "digest");
  const carriers = fields.filter((f) => f.scope === "image" || f.scope === "tag");
  const digestField = digests[0];
  if (digestField !== undefined) {
    if (digests.length > 1 || carriers.length !== 1) {
      refuse(
        digestField,
        FieldIgnoreCode.NotEditable,
        `a :digest marker needs exactly one image or :tag marker of policy ${policy.name} beside it in the same mapping (found ${carriers.length}), and no second :digest marker`,
      );
      return;
    }
    if (!policy.pinDigest) {
      refuse(
        digestField,
        FieldIgnoreCode.DigestWithoutPin,
        `a :digest marker pins a digest, which overrides the tag, but policy ${policy.name} does not pin digests`,
      );
      return;
    }
  }
  for (const field of carriers) {
    let current: { tag: string | undefined; digest: string | undefined };
    let repository = "";
    if (field.scope === "image") {
      const ref = parseImageRef(field.scalar.text);
      if (ref === undefined || !sameRepository(ref.repository, policy.repository)) {
        refuse(
          field,
          FieldIgnoreCode.RepositoryMismatch,
          `${field.scalar.text} is not an image of ${policy.repository} (policy ${policy.name})`,
        );
        continue;
      }
      current = ref;
      repository = ref.repository;
    } else current = splitTagDigest(field.scalar.text);
    if (digestField !== undefined)
      current = { tag: current.tag, digest: digestField.scalar.text || undefined };
    const decision = decideTag(policy, current, image);
    if (decision.kind === "ignore") {
      plan.ignored.push({
        ...where(field),
        code: decision.code,
        reason: `${field.file}:${field.line}: ${decision.reason}`,
      });
      continue;
    }
    // With a :digest field beside it, the tag field holds only the tag.
    const pinned = digestField === undefined ? decision.digest : undefined;
    const tagText = `${decision.tag}${pinned === undefined ? "" : `@${pinned}`}`;
    const to =
      field.scope === "image" ? formatImageRef({ repository, tag: decision.tag, digest: pinned }) : tagText;
    // Replace only what follows the repository: the repository's own spelling stays as written.
    const splice = edit(field.scalar, to, field.scope === "image" ? repository.length : 0);
    const record = { policy: policy.name, fromTag: current.tag, toTag: decision.tag };
    if (splice !== undefined) {
      splices.push(splice);
      plan.changes.push({ ...where(field), ...record, from: field.scalar.text, to });
    }
    if (digestField !== undefined && decision.digest !== undefined) {
      const digestSplice = edit(digestField.scalar, decision.digest);
      if (digestSplice !== undefined) {
        splices.push(digestSplice);
        plan.changes.push({
          ...where(digestField),
          ...record,
          from: digestField.scalar.text,
          to: decision.digest,
        });
      }
    }
  }
}

/** A `kustomization.yaml` `images:` entry: its `newTag` and `digest`, inserted when missing. */
function planKustomizeImage(
  field: KustomizeField,
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
  // Missing keys get whole lines of their own, after the entry's last line and with the file's line break.
  const lines: string[] = [];
  const put = (key: string, scalar: EditableScalar | undefined, value: string) => {
    if (scalar === undefined) lines.push(`${field.indent}${key}: ${scalarText(value)}`);
    else {
      const splice = edit(scalar, value);
      if (splice !== undefined) splices.push(splice);
    }
  };
  put("newTag", field.newTag, decision.tag);
  if (decision.digest !== undefined) put("digest", field.digest, decision.digest);
  if (lines.length > 0)
    splices.push({
      range: [field.insertAt, field.insertAt],
      text: field.atEof
        ? lines.map((l) => `${field.eol}${l}`).join("")
        : lines.map((l) => `${l}${field.eol}`).join(""),
    });
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
    const groups = new Map<string, MarkedField[]>();
    for (const field of located.fields) {
      if (field.kind === "kustomize") {
        planKustomizeImage(field, policies, image, splices, plan);
        continue;
      }
      const key = `${field.group}\0${field.policy}`;
      groups.set(key, [...(groups.get(key) ?? []), field]);
    }
    for (const fields of groups.values()) planMarkerGroup(fields, policies, image, splices, plan);
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
