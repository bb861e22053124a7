/** The `pullbridge` command line: options (node:util parseArgs) and the help text. */
import { parseArgs } from "node:util";

const CLI_OPTIONS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  targets: { type: "string" },
  target: { type: "string" },
  namespace: { type: "string", short: "n" },
  "all-namespaces": { type: "boolean", short: "A", default: false },
  prune: { type: "boolean", default: true },
  revision: { type: "string" },
  output: { type: "string", short: "o", default: "text" },
  event: { type: "string" },
  image: { type: "string" },
  summary: { type: "boolean", default: false },
  "full-diff": { type: "boolean", default: false },
  root: { type: "string" },
  watch: { type: "string", multiple: true, default: [] as string[] },
  "cluster-scoped": { type: "boolean", default: false },
  "allow-namespace": { type: "string", multiple: true, default: [] as string[] },
  "allow-empty": { type: "boolean", default: false },
  adopt: { type: "boolean", default: false },
  "force-conflicts": { type: "boolean", default: false },
  "kube-version": { type: "string" },
  wait: { type: "boolean", default: false },
  "dry-run": { type: "boolean", default: false },
  source: { type: "string", multiple: true, default: [] as string[] },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
  version: { type: "boolean", default: false },
} as const;

export type CliArgs = {
  command: string | undefined;
  positionals: string[];
  kubeconfig: string | undefined;
  context: string | undefined;
  targets: string | undefined;
  target: string | undefined;
  namespace: string | undefined;
  allNamespaces: boolean;
  prune: boolean;
  revision: string | undefined;
  output: "text" | "json";
  /** images plan: a file with an ECR EventBridge event or a GitHub package payload. */
  event: string | undefined;
  /** images plan: `repository:tag[@digest]` instead of an event file. */
  image: string | undefined;
  /** `diff`: print only the plan table, no diffs. */
  summary: boolean;
  /** `diff`: print every diff, however large. */
  fullDiff: boolean;
  /** Repository root `<dir>` is a path of (its bases and watch paths are read from it); default: the git top level. */
  root: string | undefined;
  /** Without --targets: the target's watch paths (read with `<dir>`); none given: an overlay's bases are found. */
  watch: string[];
  /** Without --targets: policy.clusterScoped. */
  clusterScoped: boolean;
  /** Without --targets: namespaces objects may live in besides `-n` (`policy.namespaces`; `*` for any). */
  allowNamespaces: string[];
  /** Without --targets: allowEmpty (an empty directory syncs nothing and, with prune, deletes all). */
  allowEmpty: boolean;
  /** Without --targets: adopt objects not yet in the ApplySet. */
  adopt: boolean;
  /** Without --targets: forceConflicts (take fields another applier owns). */
  forceConflicts: boolean;
  /** `render` of a Helm chart: `.Capabilities.KubeVersion` (default: Helm's, as `helm template`). */
  kubeVersion: string | undefined;
  /** `sync`: after applying, wait until the applied objects are healthy. */
  wait: boolean;
  /** `sync --wait`: seconds to wait (default: the target's `health.timeoutSeconds`, 300). */
  timeoutSeconds: number | undefined;
  /** `inventory repair`: show what would be written (server-side dry-run), write nothing. */
  dryRun: boolean;
  /** `targets expand`: `owner/name=<checkout>` for the repositories `directories` generators list. */
  sources: string[];
  help: boolean;
  version: boolean;
};

/** Parses argv (without `node` and the script); throws a TypeError with Node's message on unknown options. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: CLI_OPTIONS,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
  });
  const output = values.output;
  if (output !== "text" && output !== "json") {
    throw new TypeError(`--output must be "text" or "json", got "${output}"`);
  }
  const [command, ...rest] = positionals;
  const timeout = values.timeout;
  if (
    timeout !== undefined &&
    !(/^\d+$/.test(timeout) && Number(timeout) >= 1 && Number(timeout) <= 86_400)
  ) {
    throw new TypeError(`--timeout must be a number of seconds between 1 and 86400, got "${timeout}"`);
  }
  if (timeout !== undefined && !values.wait) throw new TypeError("--timeout needs --wait");
  return {
    command,
    positionals: rest,
    kubeconfig: values.kubeconfig,
    context: values.context,
    targets: values.targets,
    target: values.target,
    namespace: values.namespace,
    allNamespaces: values["all-namespaces"],
    prune: values.prune,
    revision: values.revision,
    output,
    event: values.event,
    image: values.image,
    summary: values.summary,
    fullDiff: values["full-diff"],
    root: values.root,
    watch: values.watch,
    clusterScoped: values["cluster-scoped"],
    allowNamespaces: values["allow-namespace"],
    allowEmpty: values["allow-empty"],
    adopt: values.adopt,
    forceConflicts: values["force-conflicts"],
    kubeVersion: values["kube-version"],
    wait: values.wait,
    timeoutSeconds: timeout === undefined ? undefined : Number(timeout),
    dryRun: values["dry-run"],
    sources: values.source,
    help: values.help,
    version: values.version,
  };
}

export const HELP = `pullbridge — plan, apply and inspect GitOps syncs with the engine the bridge runs.

Usage:
  pullbridge diff <dir> [options]         plan <dir> against the live cluster (server-side dry-run, no writes)
  pullbridge sync <dir> [options]         apply <dir>: server-side apply, prune, ApplySet inventory
  pullbridge render <dir> [options]       print the objects <dir> renders to (Kustomize overlay, Helm chart
                                          or plain manifests), as \`kustomize build\` / \`helm template\` would
  pullbridge status [options]             last synced commit, time, counts and per-object health per target
                                          (from the ApplySet parents and one read of their objects)
  pullbridge targets validate [file]      check a targets file (default: infra/targets.yaml)
  pullbridge targets expand [dir] [--targets <file>] [--source <owner/name>=<dir>]...
                                          the targets a config repository directory (default ".")
                                          expands to, checked against the stack file (--targets) and
                                          its projects, with the generator and source behind each
  pullbridge inventory repair --target <name> [--targets <file> | -n <ns>] [--dry-run]
                                          rebuild a target's damaged or deleted ApplySet parent from the
                                          objects labelled part-of its set (README: "Recovering a damaged
                                          inventory"); never takes over another tool's parent
  pullbridge images plan [dir] (--event <file> | --image <repo:tag>) [--targets <file>]
                                          what a pushed image would change in the checkout <dir>
                                          (default "."), by the targets file's image policies; writes nothing

Options:
  --kubeconfig <file>     kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context <name>        kubeconfig context (default: the current context)
  --targets <file>        a targets file: <dir> is then the repository root, and the target's
                          path, watch paths, namespace and policy apply (the cluster is still your kubeconfig)
  --target <name>         the target; decides the ApplySet parent Secret pullbridge-<name>, so
                          --target web compares with what the bridge synced for target "web"
                          (default without --targets: the directory's name)
  -n, --namespace <ns>    the target's namespace without --targets (default: the context's, else "default")
  -A, --all-namespaces    status: every pullbridge target in every namespace
  --no-prune              diff/sync: keep objects that are no longer in <dir>
  --wait                  sync: after applying, wait until every applied object is rolled out and healthy
                          (a live progress line on stderr, like \`kubectl rollout status\`); exit 1 naming
                          the reasons when one fails or the timeout passes
  --timeout <seconds>     sync --wait: how long to wait (default: the target's health.timeoutSeconds, 300)
  --revision <rev>        sync: revision recorded on the ApplySet parent
                          (default: git HEAD of <dir>, "+dirty" with uncommitted changes; "local" outside git)
  --dry-run               inventory repair: show what would be written, write nothing
  --source <repo>=<dir>   targets expand: a checkout of a repository a \`directories\` generator lists (repeatable)
  --summary               diff: print only the plan table (no diffs)
  --full-diff             diff: print every diff (by default diffs past 256 KB are summarised)
  --root <dir>            the repository root <dir> lies in (file names are relative to it); default: the
                          git top level of <dir>, else the working directory
  --watch <dir>           render/diff/sync: another directory the target reads, as a target's \`watch\`
                          (repeatable); default: the directories <dir>'s kustomizations refer to, named in a
                          note. Only <dir> and these are read, with the worker's file and byte limits
  --kube-version <v>      render of a Helm chart: .Capabilities.KubeVersion (diff/sync take the cluster's)
  -o, --output <format>   text (default) or json
  -h, --help              this help
  --version               print the version

The policy of a target without --targets (a targets file sets these itself; default: none of them):
  --cluster-scoped        allow cluster-scoped objects: an overlay's own Namespace, CRDs, ClusterRoles…
  --allow-namespace <ns>  objects may also live in <ns> besides -n (repeatable or comma-separated; "*": any)
  --adopt                 take over existing objects that are in no ApplySet yet (e.g. made by kubectl apply)
  --force-conflicts       take fields another field manager owns (server-side apply force)
  --allow-empty           a <dir> without manifests syncs nothing instead of failing (and, unless
                          --no-prune, deletes everything the target owns)

Examples:
  pullbridge diff deploy/ -n apps --target web
  pullbridge diff . --targets infra/targets.yaml --target platform-apps --context prod
  pullbridge sync deploy/ -n apps --target web --output json
  pullbridge sync deploy/ -n apps --target web --wait --timeout 120
  pullbridge render apps/web/overlays/prod
  pullbridge diff apps/web/overlays/prod -n web --summary
  pullbridge sync apps/shop/overlays/prod -n shop --cluster-scoped --wait
  pullbridge status -n apps
  pullbridge status --targets infra/targets.yaml --context prod
  pullbridge targets validate infra/targets.yaml
  pullbridge targets expand pullbridge/ --targets infra/targets.yaml --source acme/apps=../apps
  pullbridge images plan . --targets infra/targets.yaml --event ecr-push.json

Exit codes (as kubectl diff): 0 success / no changes, 1 error (sync --wait: also not healthy), 2 diff found changes.
Colour is used when stdout is a terminal and NO_COLOR is not set.
`;
