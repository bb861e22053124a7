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
import { parseIgnorePath } from "../sync/ignore-fields.ts";
import { parseIamRoleArn, partitionOfRegion } from "./aws-regions.ts";
import { configProblems, describeConfigIssue } from "./config-issues.ts";
import { imageAutomationSchema } from "./image-policies.ts";
import { boundTarget, projectExcesses } from "./project-bounds.ts";

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

const impersonation = z
  .strictObject({
    user: z.string().min(1).describe("Kubernetes user name sent as `Impersonate-User`."),
    groups: z.array(z.string().min(1)).default([]).describe("Groups sent as `Impersonate-Group`."),
  })
  .describe(
    "A Kubernetes identity to act as (impersonation headers); the worker's own identity needs the `impersonate` verb on it.",
  );

const awsRegion = z
  .string()
  .min(1)
  .refine(
    (region) => partitionOfRegion(region) !== undefined,
    "is not an AWS region (e.g. `eu-west-1`; a region newer than this release goes into lib/config/aws-regions.ts)",
  );

const iamRoleArn = z
  .string()
  .refine(
    (arn) => parseIamRoleArn(arn) !== undefined,
    "must be an IAM role ARN: `arn:aws:iam::<12-digit account>:role/<name>`",
  );

/** How pullbridge reaches a cluster. Secrets are referenced (SSM / Secrets Manager), never inline. */
export const clusterSchema = z
  .discriminatedUnion("type", [
    z
      .strictObject({
        type: z.literal("eks"),
        name: z.string().min(1).describe("EKS cluster name (DescribeCluster gives endpoint and CA)."),
        region: awsRegion
          .optional()
          .describe("AWS region of the cluster (default: the region the functions run in)."),
        roleArn: iamRoleArn
          .optional()
          .describe(
            "IAM role to assume for this cluster, usually in the cluster's own account (docs/clusters.md). The worker assumes it with STS, calls DescribeCluster and signs its EKS token with the role's credentials; the stack's worker role may assume only the roles the targets file names.",
          ),
        externalId: z
          .string()
          .min(2)
          .max(1224)
          .regex(/^[\w+=,.@:/-]+$/, "must be 2-1224 characters of letters, digits and +=,.@:/-_")
          .optional()
          .describe(
            "External id the role's trust policy requires (`sts:ExternalId`); sent with `roleArn` and `healthRoleArn`.",
          ),
        healthRoleArn: iamRoleArn
          .optional()
          .describe(
            "Read-only IAM role the health function assumes for this cluster (default: `roleArn`). Map it to a read-only Kubernetes group.",
          ),
      })
      .superRefine((cluster, ctx) => {
        if (cluster.roleArn === undefined) {
          for (const field of ["externalId", "healthRoleArn"] as const) {
            if (cluster[field] !== undefined) {
              ctx.addIssue({
                code: "custom",
                path: [field],
                message: `needs \`roleArn\`: ${field === "externalId" ? "the external id is sent when assuming it" : "without it the worker uses the function's own role"}`,
              });
            }
          }
        }
        const partition = cluster.region === undefined ? undefined : partitionOfRegion(cluster.region);
        for (const field of ["roleArn", "healthRoleArn"] as const) {
          const arn = cluster[field];
          const role = arn === undefined ? undefined : parseIamRoleArn(arn);
          if (role && partition && role.partition !== partition) {
            ctx.addIssue({
              code: "custom",
              path: [field],
              message: `is in partition ${role.partition}, but region ${cluster.region} is in ${partition}`,
            });
          }
        }
      })
      .describe(
        "An EKS cluster: the worker and health functions authenticate with a token presigned for their own IAM role, or for `roleArn` (another account) when set.",
      ),
    z
      .strictObject({
        type: z.literal("kubeconfig"),
        source: z
          .string()
          .regex(
            /^(ssm:|secretsmanager:|file:|default$)/,
            "must start with ssm:, secretsmanager:, file: or be `default`",
          )
          .describe(
            "Where the kubeconfig is stored: `ssm:/path` or `secretsmanager:name`; in local mode also `file:/path` or `default` ($KUBECONFIG). In Lambda, credentials must be inline (token or client-certificate data): exec plugins, auth providers and file references are refused.",
          ),
        context: z
          .string()
          .min(1)
          .optional()
          .describe("Context of that kubeconfig (default: its current context)."),
      })
      .describe("A cluster reached with a stored kubeconfig."),
  ])
  .describe("How pullbridge reaches a cluster. Secrets are referenced, never inline.");

/**
 * A key SOPS-encrypted files may be decrypted with (docs/secrets.md). Listed in the deployed
 * stack file only: it becomes the worker's `kms:Decrypt` (or secret read) permission at package time.
 */
export const decryptionKeySchema = z
  .discriminatedUnion("type", [
    z
      .strictObject({
        type: z.literal("kms"),
        arn: z
          .string()
          .regex(
            /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
            "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; not an alias: IAM grants kms:Decrypt on keys)",
          )
          .describe("ARN of the AWS KMS key (as SOPS records it in `sops.kms[].arn`)."),
      })
      .describe("An AWS KMS key: the worker calls kms:Decrypt with the encryption context SOPS recorded."),
    z
      .strictObject({
        type: z.literal("age"),
        privateKey: z
          .string()
          .regex(/^(ssm:|secretsmanager:)./, "must be ssm:<parameter> or secretsmanager:<secret>")
          .describe(
            "Where the age private key (`AGE-SECRET-KEY-1…`, one or more lines) is stored: `ssm:/path` (SecureString) or `secretsmanager:name`. Never in the repository.",
          ),
      })
      .describe("An age key pair: files encrypted for its recipient can be decrypted."),
  ])
  .describe("A key SOPS-encrypted files may be decrypted with.");

/** Which of the stack file's keys a target may decrypt with (docs/secrets.md). */
const decryptionSchema = z
  .strictObject({
    keys: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        "Names of entries in the stack file's `keys` section. A SOPS file is decrypted only if one of these keys holds its data key; a file encrypted for other keys is refused, whatever its own metadata says.",
      ),
  })
  .describe(
    "Decrypt SOPS-encrypted manifests, generator inputs and Helm values with these keys (sync and drift only: previews never decrypt).",
  );

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
    apiVersion: z.string().min(1).describe("apiVersion of the custom resource the rule applies to."),
    kind: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]*$/, "must be a Kind")
      .describe("Kind of the custom resource the rule applies to."),
    current: celExpression
      .optional()
      .describe("CEL expression over the live object: true when it is Current."),
    failed: celExpression
      .optional()
      .describe("CEL expression over the live object: true when it has Failed."),
    inProgress: celExpression
      .optional()
      .describe("CEL expression over the live object: true while it is InProgress."),
  })
  .refine((r) => r.current !== undefined || r.failed !== undefined || r.inProgress !== undefined, {
    message: "needs at least one of current, failed, inProgress",
  })
  .describe(
    "A health rule for a custom resource (Flux's `healthCheckExprs`). Evaluated `inProgress`, `failed`, `current` in that order; an expression that errors (a field not written yet) counts as false; none true means InProgress. Expressions are compiled when the targets file is read, so a typo fails validation.",
  );

const DEFAULT_HEALTH_TIMEOUT_SECONDS = 300;

/** Health gating: whether a sync's status waits until its objects are rolled out and healthy. */
const healthSchema = z
  .strictObject({
    wait: z
      .boolean()
      .default(true)
      .describe(
        "Hold the commit status `pending` until every applied object is healthy (false: `success` once applied).",
      ),
    timeoutSeconds: z
      .number()
      .int()
      .min(5)
      .max(86_400)
      .default(DEFAULT_HEALTH_TIMEOUT_SECONDS)
      .describe("After this, the status becomes `failure`, naming what is not ready."),
    checks: z.array(healthCheckRule).default([]).describe("CEL health rules for custom resources."),
  })
  .default({ wait: true, timeoutSeconds: DEFAULT_HEALTH_TIMEOUT_SECONDS, checks: [] })
  .describe(
    "Health gating: whether the commit status waits until the applied objects are rolled out and healthy.",
  );

/** The target's GitHub environment: where its Deployments are recorded (docs/concepts/deployments.md). */
const environmentSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^\p{Cc},;]+$/u, "must be printable text without `,` or `;`")
      .optional()
      .describe("Environment name on GitHub (default: the target's name)."),
    url: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'Where what the target deploys is reachable (http or https); shown as "View deployment" on GitHub.',
      ),
    deployments: z
      .boolean()
      .default(true)
      .describe("Record a GitHub Deployment per synced commit (false: commit statuses only)."),
  })
  .default({ deployments: true })
  .describe("The GitHub environment the target's Deployments are recorded in.");

const policySchema = z
  .strictObject({
    namespaces: z
      .array(
        z
          .string()
          .refine(
            (n) => n === "*" || (n.length <= 63 && DNS_LABEL.test(n)),
            "must be a namespace name (a lowercase DNS label) or `*`",
          ),
      )
      .optional()
      .describe("Namespaces objects may live in; defaults to `[namespace]`. `*` allows any."),
    clusterScoped: z
      .boolean()
      .default(false)
      .describe("Whether cluster-scoped objects (Namespaces, CRDs, ClusterRoles…) are allowed."),
    kinds: z
      .array(kindRef)
      .optional()
      .describe(
        "If set, only these kinds are allowed: `Kind` matches any group, `Kind.group` only that group.",
      ),
    deniedKinds: z.array(kindRef).default([]).describe("Kinds that are always refused (wins over `kinds`)."),
    maxObjectBytes: z
      .number()
      .int()
      .positive()
      .default(1024 * 1024)
      .describe("Largest single object, in bytes of its JSON form."),
  })
  .default({ clusterScoped: false, deniedKinds: [], maxObjectBytes: 1024 * 1024 })
  .describe(
    "What the target's manifests may contain. Also bounds prune: nothing outside these namespaces and kinds is ever deleted.",
  );

const helmSchema = z
  .strictObject({
    releaseName: z
      .string()
      .min(1)
      .max(53)
      .regex(
        HELM_RELEASE_NAME,
        "must be a Helm release name: lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
      )
      .optional()
      .describe("`.Release.Name`; defaults to the target name."),
    namespace: namespaceName.optional().describe("`.Release.Namespace`; defaults to the target namespace."),
    valuesFiles: z
      .array(repoPath)
      .default([])
      .describe(
        "Values files, repository paths inside the target's `path` or `watch` paths, in order (later wins).",
      ),
    values: z.record(z.string(), z.unknown()).default({}).describe("Inline values, merged after the files."),
  })
  .describe("Helm inputs (`render: helm`, or a Chart.yaml under `auto`).");

const targetFields = z
  .strictObject({
    name: dnsLabel.describe(
      "Target name, a DNS label: the commit status context is `pullbridge/<name>`, the ApplySet parent Secret `pullbridge-<name>`.",
    ),
    repo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`")
      .refine((r) => !r.endsWith(".git"), "name the repository without `.git` (as GitHub's webhooks do)")
      .refine((r) => !/\/\.{1,2}$|^\.{1,2}\//.test(r), "`.` and `..` are not repository names")
      .describe("`owner/name` on GitHub."),
    branch: branchName
      .default("main")
      .describe("The branch whose pushes sync the target, without `refs/heads/`."),
    path: repoPath
      .default(".")
      .describe("Directory inside the repository, without leading or trailing slash; `.` for the root."),
    cluster: z.string().min(1).describe("Key into `clusters`."),
    render: z
      .enum(["auto", "plain", "kustomize", "helm"])
      .default("auto")
      .describe(
        "How the directory becomes objects: `plain` reads its YAML/JSON files, `kustomize` runs `kustomize build`, `helm` runs `helm template`; `auto` picks Kustomize when the directory has a kustomization file, Helm when it has a Chart.yaml, plain otherwise.",
      ),
    helm: helmSchema.optional(),
    include: z
      .array(z.string().min(1))
      .optional()
      .describe("Plain targets: only files matching one of these globs (relative to `path`), e.g. `*.yaml`."),
    exclude: z
      .array(z.string().min(1))
      .optional()
      .describe("Plain targets: skip files matching any of these globs (relative to `path`)."),
    recursive: z
      .boolean()
      .optional()
      .describe(
        "Plain targets: read subdirectories too (the default), or only the files directly in `path` (false).",
      ),
    watch: z
      .array(repoPath)
      .default([])
      .describe(
        "More repository directories the target depends on (e.g. `apps/base` for an overlay): a push touching them syncs this target too, and the worker fetches them with `path`.",
      ),

    namespace: namespaceName.describe(
      "Default namespace for namespaced objects without one; also holds the ApplySet parent.",
    ),
    policy: policySchema,
    prune: z.boolean().default(true).describe("Delete objects that left Git (ApplySet members only)."),
    allowEmpty: z
      .boolean()
      .default(false)
      .describe(
        "Allow an empty desired set: a path with no manifests (or a render with no objects) syncs nothing instead of failing, and — with prune — deletes everything the target owns.",
      ),
    allowNamespacePrune: z
      .boolean()
      .default(false)
      .describe(
        "Allow pruning a Namespace that still holds desired objects or the target's ApplySet parent (deleting it deletes them too). Off by default: such a prune is refused in the plan.",
      ),
    adopt: z
      .boolean()
      .default(false)
      .describe("Take over pre-existing objects that are not yet in the ApplySet."),
    forceConflicts: z
      .boolean()
      .default(false)
      .describe("Take ownership of fields another field manager owns (server-side apply `force`)."),
    drift: z
      .enum(["correct", "alert"])
      .default("correct")
      .describe(
        "`correct` re-applies drifted objects; `alert` only reports them (a failing status, nothing written).",
      ),
    scheduled: z.boolean().default(true).describe("Re-checked by the drift schedule."),
    dependsOn: z
      .array(
        z.union([
          dnsLabel.transform((target) => ({ target, sameCommit: false })),
          z.strictObject({
            target: dnsLabel.describe("The target this one waits for."),
            sameCommit: z
              .boolean()
              .default(false)
              .describe(
                "Wait until that target is healthy at this very commit (targets of one repository that change together).",
              ),
          }),
        ]),
      )
      .default([])
      .describe(
        "Targets whose last sync must be healthy before this one syncs (push and drift alike), e.g. `[infra]` or `[{ target: infra, sameCommit: true }]`. A failed dependency fails this target's sync, naming it; waiting is a delayed re-check, never a waiting Lambda. Needs the state bucket (health verdicts are recorded there).",
      ),
    dependsOnTimeoutSeconds: z
      .number()
      .int()
      .min(30)
      .max(86_400)
      .default(1800)
      .describe("How long a sync waits for its `dependsOn` targets to become healthy before it fails."),
    ignore: z
      .array(
        z.strictObject({
          paths: z
            .array(
              z.string().superRefine((path, ctx) => {
                const parsed = parseIgnorePath(path);
                if (typeof parsed === "string")
                  ctx.addIssue({ code: "custom", message: `"${path}" ${parsed}` });
              }),
            )
            .min(1)
            .describe(
              "Fields to leave to the controllers that own them: JSON pointers (`/spec/replicas`) or field paths (`.webhooks[].clientConfig.caBundle`, `[]` for every item).",
            ),
          target: z
            .strictObject({
              group: z.string().optional().describe('API group (`apps`; `""` for the core group).'),
              kind: z.string().optional(),
              name: z.string().optional(),
              namespace: z.string().optional(),
              labelSelector: z
                .record(z.string(), z.string())
                .optional()
                .describe("Labels the object must carry (all of them)."),
            })
            .optional()
            .describe("Which objects the rule applies to (every object of the target when absent)."),
        }),
      )
      .default([])
      .describe(
        "Fields owned by other controllers (Flux's `spec.ignore`, Argo CD's `ignoreDifferences`): once they exist in the cluster they are never compared, reported as drift or written back; ownership is handed over keeping the live value (docs/lifecycle.md).",
      ),
    ignoreHpaReplicas: z
      .boolean()
      .default(true)
      .describe(
        "Leave `spec.replicas` of a Deployment or StatefulSet to the HorizontalPodAutoscaler of the same target that scales it (false: Git's replicas are applied and drift-corrected).",
      ),
    hooksOnDrift: z
      .boolean()
      .default(false)
      .describe(
        "Run the target's hooks (pre-sync, post-sync, sync-fail) when a drift check corrects the cluster too. Off by default: a drift correction re-applies objects wave by wave, without re-running migrations or smoke tests (docs/lifecycle.md).",
      ),
    preview: z.boolean().default(false).describe("Run pull-request previews for this target."),
    impersonate: impersonation
      .optional()
      .describe("Act as this identity (Kubernetes impersonation) for syncs."),
    previewImpersonate: impersonation
      .optional()
      .describe(
        "Act as this identity for previews (a smaller blast radius; a dry-run needs the write verbs).",
      ),
    images: imageAutomationSchema.optional(),
    health: healthSchema,
    healthImpersonate: impersonation
      .optional()
      .describe("Act as this (read-only) identity for health checks."),
    environment: environmentSchema,
    decryption: decryptionSchema.optional(),
    project: dnsLabel
      .optional()
      .describe(
        "Key into `projects`: the bounds (repositories, clusters, namespaces, kinds, cluster scope, keys, verified commits) this target must stay inside. Required for targets in the config repository.",
      ),
    pruneOnRemove: z
      .boolean()
      .default(false)
      .describe(
        "Config repository: when this target is removed from the config, delete every object it synced (its ApplySet) instead of leaving them in place.",
      ),
    inventoryName: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a Kubernetes object name (lowercase, `-`, `.`)")
      .optional()
      .describe(
        "Name of the ApplySet parent Secret holding the target's inventory (default `pullbridge-<name>`). Generators set it from the generator and the source, so renaming a generated target keeps its objects; set it to the old parent's name to rename a hand-written target without orphaning them.",
      ),
  })
  .describe("One directory of one repository, synced to one namespace of one cluster.");

type RenderSetting = "helm" | "include" | "exclude" | "recursive";

/**
 * Settings the engine never reads (`include` on a Kustomize target, `helm` on a plain one): a
 * sync would silently ignore them, so they are refused — in the file when `render` names the
 * engine, at sync time under `auto` (lib/app/load-target-objects.ts).
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

/** `owner/name`, or `owner/*` for every repository of an owner (projects only). */
const repoPattern = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+|\*)$/, "must be `owner/name` or `owner/*`");

/** A namespace name, or a pattern with `*` (e.g. `team-a-*`, `*` for any). */
const namespacePattern = z
  .string()
  .regex(/^(\*|[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?)$/, "must be a namespace name or a pattern with `*`")
  .max(63);

/**
 * A tenant's bounds: what the targets naming it may reach. Lives only in the deployed stack file,
 * so no repository it bounds can widen it (docs/config-repository.md).
 */
export const projectSchema = z
  .strictObject({
    description: z.string().optional().describe("What the project is for (shown in refusals)."),
    repositories: z
      .array(repoPattern)
      .min(1)
      .describe("Repositories its targets may read: `owner/name`, or `owner/*`."),
    clusters: z
      .array(z.union([dnsLabel, z.literal("*")]))
      .min(1)
      .describe("Clusters (keys of `clusters`) its targets may sync to; `*` for any."),
    namespaces: z
      .array(namespacePattern)
      .min(1)
      .describe(
        "Namespaces its targets may write to (their `namespace`, `policy.namespaces`, `helm.namespace`): names or patterns such as `team-a-*`; `*` for any.",
      ),
    kinds: z
      .array(kindRef)
      .optional()
      .describe(
        "If set, the only kinds its targets may hold (`Kind` or `Kind.group`); a target without `policy.kinds` gets these.",
      ),
    deniedKinds: z
      .array(kindRef)
      .default([])
      .describe("Kinds its targets may never hold (added to every target's `policy.deniedKinds`)."),
    clusterScoped: z
      .boolean()
      .default(false)
      .describe("Whether its targets may set `policy.clusterScoped: true`."),
    keys: z
      .array(dnsLabel)
      .default([])
      .describe("Decryption keys (keys of `keys`) its targets may use; none by default."),
    impersonate: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Kubernetes users its targets may impersonate (`impersonate`, `previewImpersonate`, `healthImpersonate`); none by default.",
      ),
    requireVerifiedCommits: z
      .boolean()
      .default(false)
      .describe(
        "Sync only commits GitHub marks verified (`verification.verified`); an unverified head is refused before any cluster work, with GitHub's reason.",
      ),
    maxPreviewEnvironments: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe("Most pull-request preview environments its generators may keep live at once."),
  })
  .describe("A tenant's bounds: what the targets naming it may reach.");

/** Where the Git-defined targets live (docs/config-repository.md). */
export const configRepositorySchema = z
  .strictObject({
    repo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be `owner/name`")
      .describe("`owner/name` of the repository holding the targets and generators."),
    branch: branchName.default("main").describe("The branch whose head is the configuration in force."),
    path: repoPath
      .default(".")
      .describe("Directory of the YAML files (`targets:` and `generators:`); `.` for the root."),
    requireVerifiedCommits: z
      .boolean()
      .default(false)
      .describe("Install only configurations whose commit GitHub marks verified."),
  })
  .describe(
    "The config repository: targets defined in Git, added by pull request, validated and stored by the worker (no redeploy).",
  );

export const targetsFileSchema = z
  .strictObject({
    version: z.literal(1).describe("Format version of the targets file; always 1."),
    clusters: z
      .record(dnsLabel, clusterSchema)
      .describe("The clusters targets sync to, by name (a DNS label); targets refer to them with `cluster`."),
    targets: z
      .array(targetSchema)
      .default([])
      .describe(
        "What to sync: one entry per repository directory and cluster namespace (may be empty when a `configRepository` holds them).",
      ),
    keys: z
      .record(dnsLabel, decryptionKeySchema)
      .default({})
      .describe(
        "Keys SOPS-encrypted files may be decrypted with, by name; a target names the ones it may use in `decryption.keys`, a project bounds them with its `keys`.",
      ),
    projects: z
      .record(dnsLabel, projectSchema)
      .default({})
      .describe("Tenants' bounds, by name; targets name theirs with `project`."),
    configRepository: configRepositorySchema.optional(),
  })
  .superRefine((file, ctx) => {
    if (file.targets.length === 0 && file.configRepository === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["targets"],
        message: "at least one target is required (or a `configRepository` that holds them)",
      });
    }
    checkStackReferences(file, ctx);
    refuseDependencyProblems(file.targets, ctx);
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
      target.decryption?.keys.forEach((key, k) => {
        if (!(key in (file.keys ?? {}))) {
          ctx.addIssue({
            code: "custom",
            path: ["targets", i, "decryption", "keys", k],
            message: `unknown key "${key}" (known: ${Object.keys(file.keys ?? {}).join(", ") || "none: add a `keys` section"})`,
          });
        }
      });
      if (!(target.cluster in file.clusters)) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "cluster"],
          message: `unknown cluster "${target.cluster}" (known: ${Object.keys(file.clusters).join(", ") || "none"})`,
        });
      }
    });
  })
  // A target inside a project syncs with the project's kinds and denied kinds (project-bounds.ts).
  .transform((file) => ({
    ...file,
    targets: file.targets.map((t) => {
      const project = t.project === undefined ? undefined : file.projects[t.project];
      return project === undefined ? t : boundTarget(t, project);
    }),
  }));

/** Projects must name known clusters and keys; targets must name known projects and stay inside them. */
function checkStackReferences(
  file: Pick<TargetsFile, "clusters" | "keys" | "projects" | "targets">,
  ctx: z.RefinementCtx,
): void {
  for (const [name, project] of Object.entries(file.projects)) {
    project.clusters.forEach((cluster, i) => {
      if (cluster !== "*" && !(cluster in file.clusters)) {
        ctx.addIssue({
          code: "custom",
          path: ["projects", name, "clusters", i],
          message: `unknown cluster "${cluster}" (known: ${Object.keys(file.clusters).join(", ") || "none"})`,
        });
      }
    });
    project.keys.forEach((key, i) => {
      if (!(key in file.keys)) {
        ctx.addIssue({
          code: "custom",
          path: ["projects", name, "keys", i],
          message: `unknown key "${key}" (known: ${Object.keys(file.keys).join(", ") || "none"})`,
        });
      }
    });
  }
  file.targets.forEach((target, i) => {
    if (target.project === undefined) return;
    const project = file.projects[target.project];
    if (project === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["targets", i, "project"],
        message: `unknown project "${target.project}" (known: ${Object.keys(file.projects).join(", ") || "none"})`,
      });
      return;
    }
    for (const excess of projectExcesses(target, target.project, project)) {
      ctx.addIssue({ code: "custom", path: ["targets", i, ...excess.path], message: excess.message });
    }
  });
}

/**
 * `dependsOn` must name configured targets, never the target itself, and never form a cycle (it
 * would wait forever): each cycle is refused where the targets file is read, printed in full.
 */
function refuseDependencyProblems(
  targets: ReadonlyArray<{ name: string; dependsOn: ReadonlyArray<{ target: string }> }>,
  ctx: z.RefinementCtx,
): void {
  const names = new Map(targets.map((t, i) => [t.name, i]));
  targets.forEach((t, i) => {
    t.dependsOn.forEach((d, j) => {
      if (!names.has(d.target)) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "dependsOn", j],
          message: `unknown target "${d.target}" (known: ${[...names.keys()].join(", ")})`,
        });
      } else if (d.target === t.name) {
        ctx.addIssue({
          code: "custom",
          path: ["targets", i, "dependsOn", j],
          message: "a target cannot depend on itself",
        });
      }
    });
  });
  const reported = new Set<string>();
  const state = new Map<string, "visiting" | "done">();
  const byName = new Map(targets.map((t) => [t.name, t]));
  const visit = (name: string, path: string[]): void => {
    state.set(name, "visiting");
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (dep.target === name || !byName.has(dep.target)) continue;
      if (state.get(dep.target) === "visiting") {
        const cycle = [...path.slice(path.indexOf(dep.target)), dep.target];
        const key = [...cycle.slice(0, -1)].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          ctx.addIssue({
            code: "custom",
            path: ["targets", names.get(name) ?? 0, "dependsOn"],
            message: `dependsOn forms a cycle: ${cycle.join(" → ")}`,
          });
        }
      } else if (state.get(dep.target) !== "done") {
        visit(dep.target, [...path, dep.target]);
      }
    }
    state.set(name, "done");
  };
  for (const t of targets) if (!state.has(t.name)) visit(t.name, [t.name]);
}

export type ClusterConfig = z.infer<typeof clusterSchema>;
export type DecryptionKeyConfig = z.infer<typeof decryptionKeySchema>;
export type Project = z.infer<typeof projectSchema>;
export type ConfigRepository = z.infer<typeof configRepositorySchema>;
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
export function applySetParentName(
  target: Pick<Target, "name"> & { inventoryName?: string | undefined },
): string {
  return target.inventoryName ?? `pullbridge-${target.name}`;
}
