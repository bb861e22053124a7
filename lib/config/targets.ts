/**
 * The targets file: which repository path syncs to which cluster, and with what policy.
 * Parsed once per container; every error names the field (e.g. `targets[2].path`).
 */
import { parseDocument } from "yaml";
// Namespace import: `import { z }` makes esbuild keep all of zod (~450 KB) in every bundle.
import * as z from "zod";
import { ConfigError } from "../errors.ts";
import { compileCelExpression } from "../health/cel-health-rules.ts";
import { imageAutomationSchema } from "./image-policies.ts";

const dnsLabel = z
  .string()
  .min(1)
  .max(52)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a lowercase DNS label (a-z, 0-9, '-')");

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

/** A repository-relative path without `..`, leading or trailing slash (`.` for the root). */
const repoPath = z
  .string()
  .min(1)
  .transform((p) => p.replace(/^\.?\/+/, "").replace(/\/+$/, "") || ".")
  .refine((p) => !p.split("/").includes(".."), "must not contain `..`");
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

export const targetSchema = z.strictObject({
  name: dnsLabel,
  /** `owner/name` on GitHub. */
  repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`"),
  branch: z.string().min(1).default("main"),
  /** Directory inside the repository, without leading or trailing slash; `.` for the root. */
  path: z
    .string()
    .default(".")
    .transform((p) => p.replace(/^\.?\/+/, "").replace(/\/+$/, "") || ".")
    .refine((p) => !p.split("/").includes(".."), "must not contain `..`"),
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
      releaseName: z.string().min(1).max(53).optional(),
      /** `.Release.Namespace`; defaults to the target namespace. */
      namespace: dnsLabel.max(63).optional(),
      /** Values files, repository-relative, in order (later wins). */
      valuesFiles: z.array(repoPath).default([]),
      /** Inline values, merged after the files. */
      values: z.record(z.string(), z.unknown()).default({}),
    })
    .optional(),
  /** Plain targets: only files matching one of these globs (relative to `path`), e.g. `*.yaml`. */
  include: z.array(z.string().min(1)).optional(),
  /** Plain targets: skip files matching any of these globs (relative to `path`). */
  exclude: z.array(z.string().min(1)).default([]),
  /** Plain targets: read subdirectories too (default), or only the files directly in `path`. */
  recursive: z.boolean().default(true),
  /**
   * More repository directories the target depends on (e.g. `apps/base` for an overlay): a push
   * touching them syncs this target too, and the worker fetches them with `path`.
   */
  watch: z.array(repoPath).default([]),

  /** Default namespace for namespaced objects without one; also holds the ApplySet parent. */
  namespace: dnsLabel.max(63),
  policy: z
    .strictObject({
      /** Namespaces objects may live in; defaults to `[namespace]`. `*` allows any. */
      namespaces: z.array(z.string().min(1)).optional(),
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
  /** Allow a sync whose desired set is empty to prune everything. */
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

/** `targets[2].policy.kinds[0]` — the field a config error points at. */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    "",
  );
}

/** Validates an already-parsed targets document. */
export function parseTargetsConfig(raw: unknown): TargetsFile {
  const result = targetsFileSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? fieldPath(issue.path) || "(root)" : "(root)";
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : "";
  throw new ConfigError(field, `${issue?.message ?? "invalid"}${more}`, { cause: result.error });
}

/** Parses and validates the YAML text of a targets file; `source` names it in errors. */
export function parseTargetsYaml(text: string, source = "targets.yaml"): TargetsFile {
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new ConfigError(
      source + (pos ? `:${pos.line}:${pos.col}` : ""),
      first.message.split("\n")[0] ?? "invalid YAML",
    );
  }
  return parseTargetsConfig(doc.toJS({ maxAliasCount: 100 }));
}

/** The target's GitHub environment name (default: the target's name). */
export function environmentNameOf(target: Pick<Target, "name" | "environment">): string {
  return target.environment.name ?? target.name;
}

/** Name of the ApplySet parent Secret for a target (lives in `target.namespace`). */
export function applySetParentName(target: Pick<Target, "name">): string {
  return `pullbridge-${target.name}`;
}
