/**
 * Generators: targets made from a template, the equivalent of Argo CD's ApplicationSet
 * generators and Flux's ResourceSet inputs. A generator yields parameter sets; its `template` (a
 * target whose strings may hold `{{param}}`) becomes one target per set.
 *
 * - `directories`: one set per directory of a repository matching a glob (`apps/*\/overlays/prod`):
 *   `{{path}}`, `{{path.basename}}`, `{{path[0]}}`… (as Argo CD's git directory generator);
 * - `list`: one set per element;
 * - `matrix`: the product of other generators' sets, named (a generator without a template is a
 *   parameter source only), so a list of clusters can be reused by several matrices;
 * - `pullRequests`: one preview environment per open pull request carrying a label (expanded per
 *   pull request by the worker, never from a fork): `{{number}}`, `{{branch}}`, `{{sha}}`, `{{shortSha}}`.
 *
 * Pure: the caller lists directories (one Git trees call per repository) and passes them in.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { directoryMatches } from "./directory-glob.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const repoName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`")
  .describe("`owner/name` on GitHub.");

/** Generator names end up in target and inventory names, so they are short DNS labels. */
export const generatorName = z
  .string()
  .min(1)
  .max(40)
  .regex(DNS_LABEL, "must be a lowercase DNS label (a-z, 0-9, '-') of at most 40 characters");

const GLOB_SEGMENT = /^[A-Za-z0-9_.*-]+$/;
const directoryGlob = z
  .string()
  .min(1)
  .refine(
    (g) => g.split("/").every((s) => GLOB_SEGMENT.test(s) && s !== ".." && s !== "."),
    "must be a `/`-separated path whose segments are names or `*` patterns (no `**`, `..` or `.`)",
  );

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const directoriesSchema = z
  .strictObject({
    repo: repoName,
    branch: z.string().min(1).default("main").describe("Branch whose head is listed."),
    glob: directoryGlob.describe(
      "Directories to make targets of, e.g. `apps/*/overlays/prod` (`*` within one segment).",
    ),
    exclude: z.array(directoryGlob).default([]).describe("Directories matching one of these are skipped."),
  })
  .describe("One parameter set per directory matching `glob`: `path`, `path.basename`, `path[N]`.");

const listSchema = z
  .strictObject({
    elements: z
      .array(
        z.record(
          z.string().regex(PARAM_NAME, "parameter names are letters, digits and `_`"),
          z.union([z.string(), z.number(), z.boolean()]),
        ),
      )
      .min(1)
      .describe("One parameter set per element."),
  })
  .describe("Parameter sets written out.");

const pullRequestsSchema = z
  .strictObject({
    repo: repoName.describe("Repository whose pull requests get environments (never from forks)."),
    branch: z.string().min(1).default("main").describe("Base branch the pull requests merge into."),
    label: z.string().min(1).max(50).default("preview").describe("Only pull requests carrying this label."),
    ttlHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(168)
      .describe(
        "An environment not pushed to for this long is removed (its `closed` event may have been missed); the next push re-creates it.",
      ),
  })
  .describe("One preview environment per open, labelled pull request of the same repository.");

export const generatorSchema = z
  .strictObject({
    name: generatorName.describe("Generator name: part of every generated target's identity."),
    directories: directoriesSchema.optional(),
    list: listSchema.optional(),
    matrix: z
      .array(generatorName)
      .min(2)
      .max(4)
      .optional()
      .describe("Names of two to four other generators whose parameter sets are combined (every pairing)."),
    pullRequests: pullRequestsSchema.optional(),
    template: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "A target whose strings may use `{{param}}`; one target per parameter set. Without it the generator only feeds matrices.",
      ),
  })
  .superRefine((g, ctx) => {
    const sources = (["directories", "list", "matrix", "pullRequests"] as const).filter(
      (k) => g[k] !== undefined,
    );
    if (sources.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `needs exactly one of directories, list, matrix, pullRequests (has ${sources.length === 0 ? "none" : sources.join(", ")})`,
      });
    }
    if (g.pullRequests !== undefined && g.template === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["template"],
        message: "a pullRequests generator needs a template",
      });
    }
    if (
      g.template !== undefined &&
      typeof g.template.project === "string" &&
      g.template.project.includes("{{")
    ) {
      // A parameter may come from an application repository (a directory name, a branch): it must
      // never choose the project that bounds that repository.
      ctx.addIssue({
        code: "custom",
        path: ["template", "project"],
        message: "the project is never templated: name it literally",
      });
    }
  })
  .describe("Targets made from a template, one per parameter set.");

export type GeneratorSpec = z.infer<typeof generatorSchema>;
export type PullRequestsSpec = z.infer<typeof pullRequestsSchema>;

/** One parameter set and the key that identifies where it came from (a directory, an element). */
export type ParameterSet = { params: Readonly<Record<string, string>>; source: string };

/** The value path of a template field, and what went wrong there. */
export type TemplateProblem = { path: (string | number)[]; reason: string };

/** The directory part of a glob before its first `*` segment: the subtree a listing must cover. */
export function globRoot(glob: string): string {
  const segments = glob.split("/");
  const firstWild = segments.findIndex((s) => s.includes("*"));
  return (firstWild === -1 ? segments : segments.slice(0, firstWild)).join("/") || ".";
}

/** Parameter sets of a `directories` generator over the directories of its repository. */
export function directoryParameterSets(
  spec: NonNullable<GeneratorSpec["directories"]>,
  directories: readonly string[],
): ParameterSet[] {
  return directories
    .filter((d) => directoryMatches(spec.glob, d) && !spec.exclude.some((e) => directoryMatches(e, d)))
    .sort()
    .map((path) => {
      const segments = path.split("/");
      const params: Record<string, string> = { path, "path.basename": segments.at(-1) ?? path };
      segments.forEach((s, i) => {
        params[`path[${i}]`] = s;
      });
      return { params, source: path };
    });
}

/** Parameter sets of a `list` generator (numbers and booleans as strings). */
export function listParameterSets(spec: NonNullable<GeneratorSpec["list"]>): ParameterSet[] {
  return spec.elements.map((element) => {
    const params = Object.fromEntries(Object.entries(element).map(([k, v]) => [k, String(v)]));
    return { params, source: canonical(params) };
  });
}

/** Parameters of one pull request's environment. */
export function pullRequestParameters(pr: { number: number; branch: string; sha: string }): ParameterSet {
  return {
    params: { number: String(pr.number), branch: pr.branch, sha: pr.sha, shortSha: pr.sha.slice(0, 7) },
    source: `pr-${pr.number}`,
  };
}

/** `cluster=prod-eu, region=eu`: a list element as a source (sorted keys, so the order written does not matter). */
function canonical(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join(", ");
}

/**
 * The product of several generators' sets. A parameter two of them define is a problem (which
 * one would win is not obvious to a reader), reported once with the two generator names.
 */
export function matrixParameterSets(children: readonly { name: string; sets: readonly ParameterSet[] }[]): {
  sets: ParameterSet[];
  clash?: string;
} {
  let product: ParameterSet[] = [{ params: {}, source: "" }];
  const owner = new Map<string, string>();
  for (const child of children) {
    for (const key of new Set(child.sets.flatMap((s) => Object.keys(s.params)))) {
      const first = owner.get(key);
      if (first !== undefined && first !== child.name) {
        return { sets: [], clash: `parameter "${key}" comes from both ${first} and ${child.name}` };
      }
      owner.set(key, child.name);
    }
    product = product.flatMap((left) =>
      child.sets.map((right) => ({
        params: { ...left.params, ...right.params },
        source: left.source === "" ? right.source : `${left.source} × ${right.source}`,
      })),
    );
  }
  return { sets: product };
}

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** Replaces `{{param}}` in every string of `template`; an unknown parameter is a problem at its field. */
export function substituteTemplate(
  template: Readonly<Record<string, unknown>>,
  params: Readonly<Record<string, string>>,
): { value: Record<string, unknown>; problems: TemplateProblem[] } {
  const problems: TemplateProblem[] = [];
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === "string") {
      return value.replace(PLACEHOLDER, (whole, name: string) => {
        const found = params[name];
        if (found !== undefined) return found;
        const known = Object.keys(params).sort().join(", ") || "none";
        problems.push({ path, reason: `unknown parameter {{${name}}} (this generator has: ${known})` });
        return whole;
      });
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  return { value: walk(template, []) as Record<string, unknown>, problems };
}

/**
 * The inventory of a generated target: its ApplySet parent name, from the generator and the
 * source it was made from — not from its name — so renaming the template moves the target and
 * keeps its objects (pullbridge-<generator>-<10 hex of sha256(generator, source)>).
 */
export function generatedInventoryName(generator: string, source: string): string {
  const digest = createHash("sha256").update(`${generator}\n${source}`).digest("hex").slice(0, 10);
  return `pullbridge-${generator}-${digest}`;
}
