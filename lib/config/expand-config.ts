/**
 * The whole validation of a config repository commit, after its files are parsed: generators
 * expanded (directories listed by the caller), every target — written or generated — validated
 * with the targets schema, checked against the stack file (clusters, projects and their bounds,
 * name and inventory uniqueness together with the packaged targets) and bounded by its project;
 * matrices resolved with cycle detection. Every problem names `file:line` and the field. Pure.
 *
 * The result is all or nothing for the caller: any problem and nothing is installed.
 */
import type { ConfigProblem, SourceLocation } from "../errors.ts";
import type { ValuePath } from "../manifests/locate-yaml-node.ts";
import { type ParsedConfig, type ParsedFile, writtenTargets } from "./config-documents.ts";
import { configProblems, describeConfigIssue } from "./config-issues.ts";
import {
  directoryParameterSets,
  type GeneratorSpec,
  generatedInventoryName,
  listParameterSets,
  matrixParameterSets,
  type ParameterSet,
  type PullRequestsSpec,
  pullRequestParameters,
  substituteTemplate,
} from "./generators.ts";
import { boundTarget, projectExcesses } from "./project-bounds.ts";
import { applySetParentName, type Target, type TargetsFile, targetSchema } from "./targets.ts";

/** Where a target of the config comes from: its file and line, and the generator and source behind it. */
export type TargetOrigin = {
  file: string;
  line?: number | undefined;
  generator?: string | undefined;
  /** What the generator made it from: a directory, a list element, a pull request. */
  source?: string | undefined;
};

export type ExpandedTarget = { target: Target; origin: TargetOrigin };

/** A `pullRequests` generator as the worker keeps it: expanded per pull request, at the pull request's events. */
export type PullRequestGenerator = {
  name: string;
  project: string;
  spec: PullRequestsSpec;
  template: Record<string, unknown>;
  origin: TargetOrigin;
};

/** A `directories` generator's source: a push there that adds or removes a directory re-expands the config. */
export type DirectorySource = {
  generator: string;
  repo: string;
  branch: string;
  glob: string;
  exclude: readonly string[];
};

/** Directories of one repository branch head (key `owner/name@branch`), or why they could not be listed. */
export type DirectoryListing = { directories: readonly string[] } | { error: string };

export type ExpandedConfig = {
  targets: ExpandedTarget[];
  pullRequestGenerators: PullRequestGenerator[];
  directorySources: DirectorySource[];
  problems: ConfigProblem[];
};

type StackFile = Pick<TargetsFile, "clusters" | "projects" | "targets">;

/** `owner/name@branch`: the key of a directory listing. */
export function listingKey(repo: string, branch: string): string {
  return `${repo.toLowerCase()}@${branch}`;
}

/** The directory sources a parsed config needs listed before it can be expanded. */
export function directoriesToList(parsed: ParsedConfig): { repo: string; branch: string; glob: string }[] {
  return parsed.files.flatMap((f) =>
    f.document.generators.flatMap(({ spec }) => (spec.directories === undefined ? [] : [spec.directories])),
  );
}

type LocatedGenerator = { spec: GeneratorSpec; file: ParsedFile; index: number };

const at = (g: LocatedGenerator, ...path: ValuePath) => g.file.locate(["generators", g.index, ...path]);

/**
 * Validates a target object made from a template: schema problems are located at the template
 * field they come from (or the template itself, for fields it leaves to defaults).
 */
function validateGenerated(
  raw: Record<string, unknown>,
  locate: (path: ValuePath) => SourceLocation | undefined,
  field: string,
  note: string,
): { target: Target } | { problems: ConfigProblem[] } {
  const result = targetSchema.safeParse(raw, { error: describeConfigIssue });
  if (result.success) return { target: result.data };
  return {
    problems: configProblems(result.error.issues, locate).map((p) => ({
      ...p,
      field: p.field === undefined ? field : `${field}.${p.field}`,
      reason: `${p.reason} ${note}`,
    })),
  };
}

/** Fields a `pullRequests` generator sets itself: a template may not. */
const PULL_REQUEST_FIELDS = ["name", "repo", "branch"] as const;

/**
 * The target of one pull request's environment: the template with the pull request's parameters,
 * named `<generator>-pr-<number>`, reading the pull request's branch of the generator's
 * repository, in its own namespace (default: the target name), pruned when removed.
 */
export function pullRequestTarget(
  generator: Pick<PullRequestGenerator, "name" | "spec" | "template">,
  pr: { number: number; branch: string; sha: string },
  locate: (path: ValuePath) => SourceLocation | undefined = () => undefined,
): { target: Target } | { problems: ConfigProblem[] } {
  const set = pullRequestParameters(pr);
  const substituted = substituteTemplate(generator.template, set.params);
  const name = `${generator.name}-pr-${pr.number}`;
  const note = `(generator ${generator.name}, pull request #${pr.number})`;
  const problems: ConfigProblem[] = substituted.problems.map((p) => ({
    location: locate(p.path),
    field: fieldOf("template", p.path),
    reason: `${p.reason} ${note}`,
  }));
  for (const field of PULL_REQUEST_FIELDS) {
    if (field in generator.template) {
      problems.push({
        location: locate([field]),
        field: `template.${field}`,
        reason: `the pullRequests generator sets \`${field}\` itself (${field === "name" ? name : field === "repo" ? generator.spec.repo : "the pull request's branch"}): remove it`,
      });
    }
  }
  if (problems.length > 0) return { problems };
  const raw = {
    namespace: name,
    ...substituted.value,
    name,
    repo: generator.spec.repo,
    branch: pr.branch,
    preview: false,
    scheduled: false,
    pruneOnRemove: true,
    inventoryName: generatedInventoryName(generator.name, set.source),
  };
  return validateGenerated(raw, locate, "template", note);
}

/** Expands and validates a parsed config against the stack file. */
export function expandConfig(input: {
  parsed: ParsedConfig;
  stack: StackFile;
  directories: ReadonlyMap<string, DirectoryListing>;
}): ExpandedConfig {
  const { parsed, stack } = input;
  const problems: ConfigProblem[] = [...parsed.problems];
  const candidates: {
    target: Target;
    origin: TargetOrigin;
    locate: (path: ValuePath) => SourceLocation;
    field: string;
  }[] = [];

  for (const { target, file, index } of writtenTargets(parsed)) {
    const locate = (path: ValuePath) => file.locate(["targets", index, ...path]);
    candidates.push({
      target,
      origin: { file: file.file, line: locate([]).line },
      locate,
      field: `targets[${index}]`,
    });
  }

  const generators = new Map<string, LocatedGenerator>();
  for (const file of parsed.files) {
    file.document.generators.forEach(({ spec, index }) => {
      const located = { spec, file, index };
      const first = generators.get(spec.name);
      if (first !== undefined) {
        const where = first.file.locate(["generators", first.index]);
        problems.push({
          location: at(located, "name"),
          field: "name",
          reason: `duplicate generator name "${spec.name}" (first in ${where.file}:${where.line ?? 0})`,
        });
        return;
      }
      generators.set(spec.name, located);
    });
  }

  // Parameter sets per generator, matrices resolved by name with cycle detection.
  const memo = new Map<string, ParameterSet[] | undefined>();
  const setsOf = (name: string, chain: readonly string[]): ParameterSet[] | undefined => {
    if (memo.has(name)) return memo.get(name);
    const g = generators.get(name);
    if (g === undefined) return undefined;
    let sets: ParameterSet[] | undefined;
    const { spec } = g;
    if (spec.directories !== undefined) {
      const listing = input.directories.get(listingKey(spec.directories.repo, spec.directories.branch));
      if (listing === undefined || "error" in listing) {
        problems.push({
          location: at(g, "directories"),
          field: "directories",
          reason: `cannot list ${spec.directories.repo}@${spec.directories.branch}: ${listing === undefined ? "not listed" : listing.error}`,
        });
      } else sets = directoryParameterSets(spec.directories, listing.directories);
    } else if (spec.list !== undefined) {
      sets = listParameterSets(spec.list);
    } else if (spec.matrix !== undefined) {
      const children: { name: string; sets: ParameterSet[] }[] = [];
      for (const [i, child] of spec.matrix.entries()) {
        if (chain.includes(child) || child === name) {
          problems.push({
            location: at(g, "matrix", i),
            field: `matrix[${i}]`,
            reason: `matrix cycle: ${[...chain, name, child].join(" → ")}`,
          });
          memo.set(name, undefined);
          return undefined;
        }
        const found = generators.get(child);
        if (found === undefined) {
          problems.push({
            location: at(g, "matrix", i),
            field: `matrix[${i}]`,
            reason: `unknown generator "${child}" (known: ${[...generators.keys()].join(", ") || "none"})`,
          });
          continue;
        }
        if (found.spec.pullRequests !== undefined) {
          problems.push({
            location: at(g, "matrix", i),
            field: `matrix[${i}]`,
            reason: `"${child}" is a pullRequests generator: its environments come and go with pull requests and cannot be combined`,
          });
          continue;
        }
        const childSets = setsOf(child, [...chain, name]);
        if (childSets !== undefined) children.push({ name: child, sets: childSets });
      }
      if (children.length === spec.matrix.length) {
        const product = matrixParameterSets(children);
        if (product.clash !== undefined) {
          problems.push({ location: at(g, "matrix"), field: "matrix", reason: product.clash });
        } else sets = product.sets;
      }
    }
    memo.set(name, sets);
    return sets;
  };

  /** Whether a generator's parameter sets come from a directory listing (itself or a matrix child). */
  const fromDirectories = (name: string, seen: ReadonlySet<string> = new Set()): boolean => {
    const spec = generators.get(name)?.spec;
    if (spec === undefined || seen.has(name)) return false;
    if (spec.directories !== undefined) return true;
    return (spec.matrix ?? []).some((child) => fromDirectories(child, new Set([...seen, name])));
  };

  const used = new Set([...generators.values()].flatMap((g) => g.spec.matrix ?? []));
  const pullRequestGenerators: PullRequestGenerator[] = [];
  const directorySources: DirectorySource[] = [];
  for (const [name, g] of generators) {
    const { spec } = g;
    if (spec.directories !== undefined) directorySources.push({ generator: name, ...spec.directories });
    const sets = spec.pullRequests === undefined ? setsOf(name, []) : undefined;
    const template = spec.template;
    if (template === undefined) {
      if (!used.has(name)) {
        problems.push({
          location: at(g, "name"),
          field: "template",
          reason: `generator "${name}" has no template and no matrix uses it, so it makes nothing`,
        });
      }
      continue;
    }
    const locateTemplate = (path: ValuePath) => at(g, "template", ...path);
    const origin = { file: g.file.file, line: at(g).line, generator: name };
    if (spec.pullRequests !== undefined) {
      const project = typeof template.project === "string" ? template.project : "";
      // Validated now with a sample pull request, so a broken template fails at the config commit.
      const sample = pullRequestTarget(
        { name, spec: spec.pullRequests, template },
        { number: 1, branch: "preview", sha: "0".repeat(40) },
        locateTemplate,
      );
      if ("problems" in sample) problems.push(...sample.problems);
      else {
        candidates.push({
          target: sample.target,
          origin: { ...origin, source: "pull request (sample)" },
          locate: locateTemplate,
          field: `generators[${g.index}].template`,
        });
        pullRequestGenerators.push({ name, project, spec: spec.pullRequests, template, origin });
      }
      continue;
    }
    for (const set of sets ?? []) {
      const note = `(generator ${name}, ${set.source})`;
      const substituted = substituteTemplate(template, set.params);
      if (substituted.problems.length > 0) {
        problems.push(
          ...substituted.problems.map((p) => ({
            location: locateTemplate(p.path),
            field: fieldOf("template", p.path),
            reason: `${p.reason} ${note}`,
          })),
        );
        continue;
      }
      const raw = { inventoryName: generatedInventoryName(name, set.source), ...substituted.value };
      const validated = validateGenerated(raw, locateTemplate, "template", note);
      if ("problems" in validated) {
        problems.push(...validated.problems);
        continue;
      }
      // A push deleting the directory would sync the target to nothing — pruning all it owns —
      // before the config job removes it: removal must stay the config's decision (pruneOnRemove).
      if (validated.target.allowEmpty && fromDirectories(name)) {
        problems.push({
          location: locateTemplate(["allowEmpty"]),
          field: "template.allowEmpty",
          reason: `a target made from a directory cannot allow being empty: deleting the directory would prune its objects as an empty sync instead of removing the target (pruneOnRemove decides that) ${note}`,
        });
        continue;
      }
      candidates.push({
        target: validated.target,
        origin: { ...origin, source: set.source },
        locate: locateTemplate,
        field: `generators[${g.index}].template`,
      });
    }
  }

  // A target the schema refused still gets its references checked: every problem shows at once.
  for (const file of parsed.files) {
    for (const { index, raw } of file.document.refused) {
      const fields = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
      const at = (field: string) => ({
        location: file.locate(["targets", index, field]),
        field: `targets[${index}].${field}`,
      });
      if (typeof fields.cluster === "string" && !(fields.cluster in stack.clusters)) {
        problems.push({
          ...at("cluster"),
          reason: `unknown cluster "${fields.cluster}" (known: ${Object.keys(stack.clusters).join(", ") || "none"})`,
        });
      }
      if (typeof fields.project === "string" && !(fields.project in stack.projects)) {
        problems.push({
          ...at("project"),
          reason: `unknown project "${fields.project}" (known: ${Object.keys(stack.projects).join(", ") || "none"})`,
        });
      }
    }
  }

  // Cross checks: names and inventories unique with the packaged targets; clusters, projects, bounds.
  const names = new Map<string, string>(stack.targets.map((t) => [t.name, "the stack file"]));
  const inventories = new Map<string, string>(
    stack.targets.map((t) => [inventoryKey(t), `${t.name} (the stack file)`]),
  );
  const targets: ExpandedTarget[] = [];
  for (const c of candidates) {
    const { target } = c;
    const sample = c.origin.source === "pull request (sample)";
    const where =
      c.origin.generator === undefined ? "" : ` (generator ${c.origin.generator}, ${c.origin.source})`;
    const local: ConfigProblem[] = [];
    const problem = (path: ValuePath, reason: string) =>
      local.push({
        location: c.locate(path),
        field: fieldOf(c.field, path),
        reason: `${reason}${where}`,
      });
    if (!sample) {
      const seen = names.get(target.name);
      if (seen !== undefined) problem(["name"], `duplicate target name "${target.name}" (also in ${seen})`);
      else
        names.set(
          target.name,
          c.origin.generator === undefined
            ? `${c.origin.file}:${c.origin.line ?? 0}`
            : `generator ${c.origin.generator}`,
        );
      const owner = inventories.get(inventoryKey(target));
      if (owner !== undefined) {
        problem(
          ["inventoryName"],
          `inventory ${applySetParentName(target)} in ${target.cluster}/${target.namespace} is already target ${owner}'s`,
        );
      } else inventories.set(inventoryKey(target), target.name);
    }
    if (!(target.cluster in stack.clusters)) {
      problem(
        ["cluster"],
        `unknown cluster "${target.cluster}" (known: ${Object.keys(stack.clusters).join(", ") || "none"})`,
      );
    }
    let bounded = target;
    if (target.project === undefined) {
      problem(
        ["project"],
        'required field "project" is missing: every target of the config repository names its project',
      );
    } else {
      const project = stack.projects[target.project];
      if (project === undefined) {
        problem(
          ["project"],
          `unknown project "${target.project}" (known: ${Object.keys(stack.projects).join(", ") || "none"})`,
        );
      } else {
        for (const excess of projectExcesses(target, target.project, project))
          problem(excess.path, excess.message);
        bounded = boundTarget(target, project);
      }
    }
    problems.push(...local);
    if (local.length === 0 && !sample) targets.push({ target: bounded, origin: c.origin });
  }

  return {
    targets,
    pullRequestGenerators,
    directorySources,
    problems: problems.sort(
      (a, b) =>
        (a.location?.file ?? "").localeCompare(b.location?.file ?? "") ||
        (a.location?.line ?? 0) - (b.location?.line ?? 0),
    ),
  };
}

/** Two targets with this key would write one ApplySet parent. */
function inventoryKey(t: Pick<Target, "cluster" | "namespace" | "name" | "inventoryName">): string {
  return `${t.cluster}/${t.namespace}/${applySetParentName(t)}`;
}

/** `targets[1].policy.kinds[0]`: a field as config errors name it. */
function fieldOf(prefix: string, path: ValuePath): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    prefix,
  );
}
