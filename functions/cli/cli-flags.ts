/**
 * Every flag of the `pullbridge` CLI, declared once (lib/cli/command-line.ts reads argv against
 * them; lib/cli/format-help.ts prints them). A command picks the ones it takes into its own table,
 * overriding `help` where the flag means something narrower there; one name has one shape.
 */
import type { FlagTable } from "../../lib/cli/command-line.ts";

/** Flags every command takes. */
export const GLOBAL_FLAGS = {
  output: {
    type: "string",
    short: "o",
    arg: "<format>",
    default: "text",
    help: "text (default) or json",
    section: "Options of every command",
    parse: (raw: string): "text" | "json" => {
      if (raw !== "text" && raw !== "json") throw new Error(`must be "text" or "json", got "${raw}"`);
      return raw;
    },
  },
  help: {
    type: "boolean",
    short: "h",
    help: "print help (a command's own after its name)",
    section: "Options of every command",
  },
  version: { type: "boolean", help: "print the version", section: "Options of every command" },
} as const satisfies FlagTable;

const POLICY = "Policy of a target without --targets (a targets file sets its own; default: none of them)";

/** `--timeout`: whole seconds, 1 s to a day. */
function seconds(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 86_400) {
    throw new Error(`must be a number of seconds between 1 and 86400, got "${raw}"`);
  }
  return value;
}

/** The flags commands choose from. */
export const FLAGS = {
  kubeconfig: {
    type: "string",
    arg: "<file>",
    help: "kubeconfig (default: $KUBECONFIG, then ~/.kube/config)",
  },
  context: { type: "string", arg: "<name>", help: "kubeconfig context (default: the current context)" },
  targets: {
    type: "string",
    arg: "<file>",
    help: "a targets file: <dir> is then the repository root, and the target's path, watch paths, namespace and policy apply (the cluster is still your kubeconfig)",
  },
  target: {
    type: "string",
    arg: "<name>",
    help: 'the target; decides the ApplySet parent Secret pullbridge-<name>, so --target web compares with what the bridge synced for target "web" (default without --targets: the directory\'s name; with a targets file of one target: that one)',
  },
  namespace: {
    type: "string",
    short: "n",
    arg: "<ns>",
    adHoc: true,
    help: "the target's namespace without --targets (default: the context's, else \"default\")",
  },
  "all-namespaces": {
    type: "boolean",
    short: "A",
    adHoc: "the targets file names the targets when --targets is given; drop one of them",
    help: "every pullbridge target in every namespace",
  },
  root: {
    type: "string",
    arg: "<dir>",
    adHoc: "with --targets, <dir> is the repository root; drop one of them",
    help: "the repository root <dir> lies in (file names are relative to it); default: the git top level of <dir>, else the working directory",
  },
  watch: {
    type: "string",
    arg: "<dir>",
    multiple: true,
    adHoc: true,
    help: "another directory the target reads, as a target's `watch` (repeatable); default: the directories <dir>'s kustomizations refer to, named in a note. Only <dir> and these are read, with the worker's file and byte limits",
  },
  prune: { type: "boolean", default: true, help: "keep objects that are no longer in <dir>" },
  revision: {
    type: "string",
    arg: "<rev>",
    help: 'revision recorded on the ApplySet parent (default: git HEAD of <dir>, "+dirty" with uncommitted changes; "local" outside git)',
  },
  summary: { type: "boolean", help: "print only the plan table (no diffs)" },
  "full-diff": {
    type: "boolean",
    help: "print every diff (by default diffs past 256 KB are summarised)",
  },
  wait: {
    type: "boolean",
    help: "after applying, wait until every applied object is rolled out and healthy (a live progress line on stderr, like `kubectl rollout status`); exit 1 naming the reasons when one fails or the timeout passes",
  },
  timeout: {
    type: "string",
    arg: "<seconds>",
    parse: seconds,
    help: "with --wait: how long to wait (default: the target's health.timeoutSeconds, 300)",
  },
  "kube-version": {
    type: "string",
    arg: "<v>",
    help: "for a Helm chart: .Capabilities.KubeVersion (default: Helm's, as `helm template`; diff and sync take the cluster's)",
  },
  "dry-run": { type: "boolean", help: "show what would be written (server-side dry-run), write nothing" },
  event: {
    type: "string",
    arg: "<file>",
    help: "a file with an ECR EventBridge event or a GitHub package payload",
  },
  image: {
    type: "string",
    arg: "<repo:tag>",
    help: "the pushed image, `repository:tag[@digest]`, instead of --event",
  },
  "cluster-scoped": {
    type: "boolean",
    adHoc: true,
    section: POLICY,
    help: "allow cluster-scoped objects: an overlay's own Namespace, CRDs, ClusterRoles…",
  },
  "allow-namespace": {
    type: "string",
    arg: "<ns>",
    multiple: true,
    adHoc: true,
    section: POLICY,
    help: 'objects may also live in <ns> besides -n (repeatable or comma-separated; "*": any)',
  },
  adopt: {
    type: "boolean",
    adHoc: true,
    section: POLICY,
    help: "take over existing objects that are in no ApplySet yet (e.g. made by kubectl apply)",
  },
  "force-conflicts": {
    type: "boolean",
    adHoc: true,
    section: POLICY,
    help: "take fields another field manager owns (server-side apply force)",
  },
  "allow-empty": {
    type: "boolean",
    adHoc: true,
    section: POLICY,
    help: "a <dir> without manifests syncs nothing instead of failing (and, unless --no-prune, deletes everything the target owns)",
  },
} as const satisfies FlagTable;

/** The kubeconfig flags of a command that talks to the cluster. */
export const CLUSTER_FLAGS = { kubeconfig: FLAGS.kubeconfig, context: FLAGS.context } as const;

/**
 * A directory command's target (lib/app/cli-target.ts via local-target.ts): a targets file's, or
 * one shaped by the ad-hoc flags; the policy flags a render already applies.
 */
export const LOCAL_TARGET_FLAGS = {
  targets: FLAGS.targets,
  target: FLAGS.target,
  namespace: FLAGS.namespace,
  root: FLAGS.root,
  watch: FLAGS.watch,
  "cluster-scoped": FLAGS["cluster-scoped"],
  "allow-namespace": FLAGS["allow-namespace"],
  "allow-empty": FLAGS["allow-empty"],
} as const;
