/**
 * The targets file: which repository path syncs to which cluster, and with what policy.
 * Parsed once per container; every error names the field (e.g. `targets[2].path`).
 */
import { LineCounter, parseDocument } from "yaml";
// Namespace import: `import { z }` makes esbuild keep all of zod (~450 KB) in every bundle.
import * as z from "zod";
import { type ConfigProblem, configErrorOf } from "../errors.ts";
import { compileCelExpression } from "../health/cel-health-rules.ts";
import { lineColumnAt, locateOffset } from "../manifests/locate-yaml-node.ts";
import { inAnyDirectory } from "../source/tree-selection.ts";
import { configProblems, describeConfigIssue } from "./config-issues.ts";
import { imageAutomationSchema } from "./image-policies.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_MESSAGE = "must be a lowercase DNS label (a-z, 0-9, '-')";

/** Target and cluster names: at most 52 characters, so `pullbridge-<name>` is still a valid object name. */
const dnsLabel = z.string().min(1).max(52).regex(DNS_LABEL, DNS_LABEL_MESSAGE);

/** A Kubernetes namespace name: a DNS label of at most 63 characters. */
const namespaceName = z.string().min(1).max(63).regex(DNS_LABEL, DNS_LABEL_MESSAGE);

/** Helm's own rule for release names (`helm install` refuses anything else). */
const HELM_RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `branch` is not a name `git check-ref-format --branch` accepts (the webhook would never match it). */
function branchNameProblem(branch: string): string | undefined {
  if (branch.startsWith("refs/")) {
    return `name the branch without "refs/heads/" (e.g. "${branch.replace(/^refs\/(heads\/)?/, "")}")`;
  }
  const bad =
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what git refuses
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(branch) ||
    branch.includes("..") ||
    branch.includes("@{") ||
    branch.includes("//") ||
    branch === "@" ||
    /^[-/]|[/.]$/.test(branch) ||
    branch.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"));
  return bad
    ? "is not a valid git branch name (no spaces, `..`, `~^:?*[\\`, `@{`, leading `-` or `.`, trailing `/`, `.` or `.lock`)"
    : undefined;
}

const branchName = z
  .string()
  .min(1)
  .max(255)
  .superRefine((branch, ctx) => {
    const problem = branchNameProblem(branch);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });

const kindRef = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]*(\.[a-z0-9.-]+)?$/, "must be `Kind` or `Kind.group` (e.g. `Deployment.apps`)");

const impersonation = z.strictObject({
  user: z.string().min(1),
  groups: z.array(z.string().min(1)).default([]),
});

/** How pullbridge reaches a cluster. Secrets are referenced (SSM / Secrets Manager), never inline. */
export const clusterSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("eks"),
    /** EKS cluster name (DescribeCluster gives endpoint and CA). */
    name: z.string().min(1),
    region: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal("kubeconfig"),
    /** `ssm:/path`, `secretsmanager:name` or, in local mode only, `file:/path` or `default`. */
    source: z
      .string()
      .regex(
        /^(ssm:|secretsmanager:|file:|default$)/,
        "must start with ssm:, secretsmanager:, file: or be `default`",
      ),
    context: z.string().min(1).optional(),
  }),
]);

/**
 * A repository-relative path, normalised (`./apps//web/` → `apps/web`, `.` for the root): paths
 * are compared with the tree's keys, so a spelling the tree never has would select nothing.
 */
const repoPath = z
  .string()
  .min(1)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters never name a repository file
  .refine((p) => !/[\\\u0000-\u001f]/.test(p), "must be a `/`-separated repository path (no `\\`)")
  .refine((p) => !p.split("/").includes(".."), "must not contain `..`: paths stay inside the repository")
  .transform(
    (p) =>
      p
        .split("/")
        .filter((part) => part !== "" && part !== ".")
        .join("/") || ".",
  );
const celExpression = z
  .string()
  .min(1)
  .superRefine((expression, ctx) => {
    try {
      compileCelExpression(expression);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
    }
  });

/** A custom resource's health rule: CEL expressions over the live object (Flux's `healthCheckExprs`). */
const healthCheckRule = z
  .strictObject({
    apiVersion: z.string().min(1),
    kind: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, "must be a Kind"),
    current: celExpression.optional(),
    failed: celExpression.optional(),
    inProgress: celExpression.optional(),
  })
  .refine((r) => r.current !== undefined || r.failed !== undefined || r.inProgress !== undefined, {
    message: "needs at least one of current, failed, inProgress",
  });

const DEFAULT_HEALTH_TIMEOUT_SECONDS = 300;

/** Health gating: whether a sync's status waits until its objects are rolled out and healthy. */
const healthSchema = z
  .strictObject({
    /** Hold the commit status `pending` until every applied object is healthy (false: `success` once applied). */
    wait: z.boolean().default(true),
    /** After this, the status becomes `failure`, naming what is not ready. */
    timeoutSeconds: z.number().int().min(5).max(86_400).default(DEFAULT_HEALTH_TIMEOUT_SECONDS),
    /** CEL health rules for custom resources. */
    checks: z.array(healthCheckRule).default([]),
  })
  .default({ wait: true, timeoutSeconds: DEFAULT_HEALTH_TIMEOUT_SECONDS, checks: [] });

/** The target's GitHub environment: where its Deployments are recorded (README "GitHub Deployments"). */
const environmentSchema = z
  .strictObject({
    /** Environment name on GitHub (default: the target's name). */
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\p{Cc},;]+$/u, "must be printable text without `,` or `;`")
      .optional(),
    /** Where what the target deploys is reachable; shown as "View deployment" on GitHub. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** Record a GitHub Deployment per synced commit (false: commit statuses only). */
    deployments: z.boolean().default(true),
  })
  .default({ deployments: true });

const targetFields = z.strictObject({
  name: dnsLabel,
  /** `owner/name` on GitHub. */
  repo: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`")
    .refine((r) => !r.endsWith(".git"), "name the repository without `.git` (as GitHub's webhooks do)")
    .refine((r) => !/\/\.{1,2}$|^\.{1,2}\//.test(r), "`.` and `..` are not repository names"),
  /** Branch name without `refs/heads/`. */
  branch: branchName.default("main"),
  /** Directory inside the repository, without leading or trailing slash; `.` for the root. */
  path: repoPath.default("."),
  /** Key into `clusters`. */
  cluster: z.string().min(1),
  /**
   * How the directory becomes objects: `plain` reads its YAML/JSON files, `kustomize` runs
   * `kustomize build`, `helm` runs `helm template`; `auto` picks Kustomize when the directory
   * has a kustomization file, Helm when it has a Chart.yaml, plain otherwise.
   */
  render: z.enum(["auto", "plain", "kustomize", "helm"]).default("auto"),
  /** Helm inputs (render: helm or a Chart.yaml under auto). */
  helm: z
    .strictObject({
      /** `.Release.Name`; defaults to the target name. */
      releaseName: z
        .string()
        .min(1)
        .max(53)
        .regex(
          HELM_RELEASE_NAME,
          "must be a Helm release name: lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
        )
        .optional(),
      /** `.Release.Namespace`; defaults to the target namespace. */
      namespace: namespaceName.optional(),
      /** Values files, repository-relative, in order (later wins). */
      valuesFiles: z.array(repoPath).default([]),
      /** Inline values, merged after the files. */
      values: z.record(z.string(), z.unknown()).default({}),
    })
    .optional(),
  /** Plain targets: only files matching one of these globs (relative to `path`), e.g. `*.yaml`. */
  include: z.array(z.string().min(1)).optional(),
  /** Plain targets: skip files matching any of these globs (relative to `path`). */
  exclude: z.array(z.string().min(1)).optional(),
  /** Plain targets: read subdirectories too (the default), or only the files directly in `path` (false). */
  recursive: z.boolean().optional(),
  /**
   * More repository directories the target depends on (e.g. `apps/base` for an overlay): a push
   * touching them syncs this target too, and the worker fetches them with `path`.
   */
  watch: z.array(repoPath).default([]),

  /** Default namespace for namespaced objects without one; also holds the ApplySet parent. */
  namespace: namespaceName,
  policy: z
    .strictObject({
      /** Namespaces objects may live in; defaults to `[namespace]`. `*` allows any. */
      namespaces: z
        .array(
          z
            .string()
            .refine(
              (n) => n === "*" || (n.length <= 63 && DNS_LABEL.test(n)),
              "must be a namespace name (a lowercase DNS label) or `*`",
            ),
        )
        .optional(),
      /** Whether cluster-scoped objects (Namespaces, CRDs, ClusterRoles…) are allowed. */
      clusterScoped: z.boolean().default(false),
      /** If set, only these kinds (`Kind` or `Kind.group`) are allowed. */
      kinds: z.array(kindRef).optional(),
      /** Kinds that are always refused. */
      deniedKinds: z.array(kindRef).default([]),
      /** Largest single object, in bytes of its JSON form. */
      maxObjectBytes: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
    })
    .default({ clusterScoped: false, deniedKinds: [], maxObjectBytes: 1024 * 1024 }),
  /** Delete objects that left Git. */
  prune: z.boolean().default(true),
  /**
   * Allow an empty desired set: a path with no manifests (or a render with no objects) syncs
   * nothing instead of failing, and — with prune — deletes everything the target owns.
   */
  allowEmpty: z.boolean().default(false),
  /**
   * Allow pruning a Namespace that still holds desired objects or the target's ApplySet parent
   * (deleting it deletes them too). Off by default: such a prune is refused in the plan.
   */
  allowNamespacePrune: z.boolean().default(false),
  /** Take over pre-existing objects that are not yet in the ApplySet. */
  adopt: z.boolean().default(false),
  /** Take ownership of fields another field manager owns (server-side apply `force`). */
  forceConflicts: z.boolean().default(false),
  /** `correct` re-applies drifted objects; `alert` only reports them. */
  drift: z.enum(["correct", "alert"]).default("correct"),
  /** Re-queued by the drift schedule. */
  scheduled: z.boolean().default(true),
  /** Run pull-request previews for this target. */
  preview: z.boolean().default(false),
  /** Act as this identity (Kubernetes impersonation) for syncs. */
  impersonate: impersonation.optional(),
  /** Act as this (read-only) identity for previews. */
  previewImpersonate: impersonation.optional(),
  /** Image automation: which image repositories may update this target, and how (lib/config/image-policies.ts). */
  images: imageAutomationSchema.optional(),
  /** Wait for the applied objects to become healthy before reporting `success`. */
  health: healthSchema,
  /** Act as this (read-only) identity for health checks. */
  healthImpersonate: impersonation.optional(),
  /** The GitHub environment the target's Deployments are recorded in. */
  environment: environmentSchema,
});

type RenderSetting = "helm" | "include" | "exclude" | "recursive";

/**
 * Settings the engine never reads (`include` on a Kustomize target, `helm` on a plain one): a
 * sync would silently ignore them, so they are refused — in the file when `render` names the
 * engine, at sync time under `auto` (lib/app/read-target-tree.ts).
 */
export function settingsUnusedBy(
  target: Pick<z.infer<typeof targetFields>, RenderSetting>,
  engine: "plain" | "kustomize" | "helm",
): RenderSetting[] {
  const unused: RenderSetting[] = [];
  if (engine !== "helm" && target.helm !== undefined) unused.push("helm");
  if (engine !== "plain") {
    for (const field of ["include", "exclude", "recursive"] as const) {
      if (target[field] !== undefined) unused.push(field);
    }
  }
  return unused;
}

/** Which targets read a setting, for messages. */
export function readersOf(field: RenderSetting): string {
  return field === "helm" ? "Helm targets" : "plain targets";
}

export const targetSchema = targetFields.superRefine((target, ctx) => {
  if (target.render !== "auto") {
    for (const field of settingsUnusedBy(target, target.render)) {
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `only ${readersOf(field)} read \`${field}\`, and this target has \`render: ${target.render}\`: remove it`,
      });
    }
  }
  const dirs = [target.path, ...target.watch];
  target.helm?.valuesFiles.forEach((file, i) => {
    if (!inAnyDirectory(dirs, file)) {
      ctx.addIssue({
        code: "custom",
        path: ["helm", "valuesFiles", i],
        message: `${file} is outside the target's path and watch paths (${dirs.join(", ")}), so the worker never fetches it: add its directory to \`watch\``,
      });
    }
  });
  const rules = new Map<string, number>();
  target.health.checks.forEach((rule, i) => {
    const group = rule.apiVersion.includes("/") ? rule.apiVersion.slice(0, rule.apiVersion.indexOf("/")) : "";
    const key = `${rule.kind}.${group}`;
    const first = rules.get(key);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["health", "checks", i],
        message: `a second rule for ${rule.kind}${group ? `.${group}` : ""} (health.checks[${first}] already matches it, so this one would never run)`,
      });
    } else rules.set(key, i);
  });
});

export const targetsFileSchema = z
  .strictObject({
    version: z.literal(1),
    clusters: z.record(dnsLabel, clusterSchema),
    targets: z.array(targetSchema).min(1, "at least one target is required"),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.targets.forEach((target, i) => {
      if (seen.has(target.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "name"],
          message: `duplicate target name "${target.name}"`,
        });
      }
      seen.add(target.name);
      if (!(target.cluster in file.clusters)) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "cluster"],
          message: `unknown cluster "${target.cluster}" (known: ${Object.keys(file.clusters).join(", ") || "none"})`,
        });
      }
    });
  });

export type ClusterConfig = z.infer<typeof clusterSchema>;
export type Target = z.infer<typeof targetSchema>;
/**
 * A target as written in the targets file, before defaults (tests and factories build them).
 * @internal
 */
export type TargetInput = z.input<typeof targetSchema>;
export type TargetsFile = z.infer<typeof targetsFileSchema>;

/**
 * Validates an already-parsed targets document; `locate` maps a field's path to where it is
 * written. Throws a ConfigError listing every problem, each naming its field.
 */
export function parseTargetsConfig(
  raw: unknown,
  locate?: (path: readonly (string | number)[]) => ConfigProblem["location"],
): TargetsFile {
  const result = targetsFileSchema.safeParse(raw, { error: describeConfigIssue });
  if (result.success) return result.data;
  const [first, ...rest] = configProblems(result.error.issues, locate);
  throw configErrorOf(first ? [first, ...rest] : [{ reason: "invalid" }], result.error);
}

/** Parses and validates the YAML text of a targets file; `source` names it in errors, with line and column. */
export function parseTargetsYaml(text: string, source = "targets.yaml"): TargetsFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  const [first, ...rest] = doc.errors.map(
    (error): ConfigProblem => ({
      location: error.linePos?.[0]
        ? { file: source, line: error.linePos[0].line, column: error.linePos[0].col }
        : { file: source },
      // The position is in the location already; the parser's text repeats it ("… at line 6, column 1:").
      reason: (error.message.split("\n")[0] ?? "invalid YAML").replace(/ at line \d+, column \d+:?$/, ""),
    }),
  );
  if (first) throw configErrorOf([first, ...rest]);
  return parseTargetsConfig(doc.toJS({ maxAliasCount: 100 }), (path) => ({
    file: source,
    ...lineColumnAt(lineCounter, locateOffset(doc.contents, path, 0)),
  }));
}

/** The target's GitHub environment name (default: the target's name). */
export function environmentNameOf(target: Pick<Target, "name" | "environment">): string {
  return target.environment.name ?? target.name;
}

/** Name of the ApplySet parent Secret for a target (lives in `target.namespace`). */
export function applySetParentName(target: Pick<Target, "name">): string {
  return `pullbridge-${target.name}`;
}
