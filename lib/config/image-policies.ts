/**
 * Image automation policies, one block per target in the targets file (owned by the platform
 * team, not the app repositories): which image repositories may update the target, how a tag is
 * chosen, whether the update is a commit on the branch or a pull request. Validated with the rest
 * of the targets file, so every error names its field (`targets[0].images.policies[1].semver`).
 */
import { validRange } from "semver";
import * as z from "zod";

/** Marker and policy names: `web`, or Flux-style `apps:web`. */
const IMAGE_POLICY_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/;

/**
 * An image repository without tag or digest, as it appears before the `:tag`:
 * `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web`, `ghcr.io/acme/web`.
 */
const imageRepository = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)+$/,
    "must be a registry host and repository path without tag or digest (e.g. `ghcr.io/acme/web`)",
  );

const regexOrder = z
  .strictObject({
    pattern: z
      .string()
      .min(1)
      .refine(
        (p) => {
          try {
            new RegExp(p, "u");
            return true;
          } catch {
            return false;
          }
        },
        { message: "must be a valid regular expression" },
      )
      .describe("JavaScript regular expression a tag must match entirely to be considered."),
    capture: z
      .union([z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.number().int().positive()])
      .default(1)
      .describe("Capture group to order by: a name (`ts`) or a 1-based index. Default: the first group."),
    order: z
      .enum(["numerical", "alphabetical"])
      .default("numerical")
      .describe("`numerical` (build numbers, timestamps) or `alphabetical` (ISO dates, zero-padded ids)."),
  })
  .superRefine((spec, ctx) => {
    // A capture the pattern does not have orders no tag: the policy would never update anything.
    const groups = captureGroupsOf(spec.pattern);
    if (groups === undefined) return; // an invalid pattern is reported by its own check
    const { count, names } = groups;
    if (typeof spec.capture === "number" && spec.capture > count) {
      ctx.addIssue({
        code: "custom",
        path: ["capture"],
        message: `the pattern has ${count === 0 ? "no capture group" : `${count} capture group${count === 1 ? "" : "s"}`}, so there is no group ${spec.capture}${count === 0 ? ": add one around the part to order by, e.g. `main-([0-9]+)`" : ""}`,
      });
    }
    if (typeof spec.capture === "string" && !names.includes(spec.capture)) {
      ctx.addIssue({
        code: "custom",
        path: ["capture"],
        message: `the pattern has no group named "${spec.capture}" (named groups: ${names.join(", ") || "none"}; write it as \`(?<${spec.capture}>…)\`)`,
      });
    }
  })
  .describe("Order tags by a capture of a regular expression instead of semver.");

/** How many capture groups a pattern has, and their names; undefined when it does not compile. */
function captureGroupsOf(pattern: string): { count: number; names: string[] } | undefined {
  try {
    // The empty alternative always matches, and the result lists every group of the pattern.
    const probe = new RegExp(`${pattern}|`, "u").exec("");
    if (probe === null) return undefined;
    return { count: probe.length - 1, names: Object.keys(probe.groups ?? {}) };
  } catch {
    return undefined;
  }
}

export const imagePolicySchema = z
  .strictObject({
    name: z
      .string()
      .regex(IMAGE_POLICY_NAME, "must be `name` or `namespace:name` (lowercase DNS labels)")
      .describe(
        'What markers and logs call the policy: `# {"$imagepolicy": "<name>"}` or `# pullbridge:image <name>`.',
      ),
    repository: imageRepository.describe("The only image repository whose pushes this policy accepts."),
    semver: z
      .string()
      .min(1)
      .refine((r) => validRange(r) !== null, { message: "must be a valid semver range" })
      .optional()
      .describe("A semver range (`^1.4.0`, `>=1.4 <2`); tags that are not semver versions are ignored."),
    prerelease: z
      .boolean()
      .default(false)
      .describe("Include pre-releases (`1.5.0-rc.1`) in the semver range."),
    regex: regexOrder.optional(),
    pinDigest: z
      .boolean()
      .default(false)
      .describe("Write `tag@sha256:…` so the cluster runs exactly the pushed image, even if the tag moves."),
  })
  .superRefine((policy, ctx) => {
    if ((policy.semver === undefined) === (policy.regex === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "set exactly one of `semver` or `regex`" });
    }
  })
  .describe("An image policy: set exactly one of `semver` or `regex`.");

/** The `images:` block of a target. */
export const imageAutomationSchema = z
  .strictObject({
    mode: z
      .enum(["commit", "pull-request"])
      .default("commit")
      .describe("`commit` writes to the target's branch; `pull-request` opens a pull request against it."),
    policies: z
      .array(imagePolicySchema)
      .min(1, "at least one image policy is required")
      .describe(
        "The image policies (markers refer to them by name; kustomization `images:` entries by repository).",
      ),
  })
  .superRefine((block, ctx) => {
    const seen = new Set<string>();
    block.policies.forEach((policy, i) => {
      if (seen.has(policy.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["policies", i, "name"],
          message: `duplicate image policy "${policy.name}"`,
        });
      }
      seen.add(policy.name);
    });
  })
  .describe("Image automation: which image repositories may update this target, and how.");

export type ImagePolicy = z.infer<typeof imagePolicySchema>;
/**
 * An image policy as written in the targets file, before defaults (test factories build them).
 * @internal
 */
export type ImagePolicyInput = z.input<typeof imagePolicySchema>;
