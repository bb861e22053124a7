/** `npm start` options (node:util parseArgs) and help text. */
import { parseArgs } from "node:util";

export type LocalArgs = {
  targets: string | undefined;
  repos: Record<string, string>;
  kubeconfig: string | undefined;
  context: string | undefined;
  controlPlane: boolean;
  /** Gate statuses on health (`--no-health`: `success` once applied). */
  health: boolean;
  /** Start the state store (moto; `--no-store`: none, and features that keep state in S3 are off). */
  store: boolean;
  port: number;
  host: string;
  webhookSecret: string | undefined;
  driftInterval: number;
  logLevel: "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT";
  stateDir: string | undefined;
  help: boolean;
};

function integerOption(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new TypeError(`--${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** Parses `npm start -- …` arguments. */
export function parseLocalArgs(argv: readonly string[]): LocalArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      targets: { type: "string" },
      repo: { type: "string", multiple: true, default: [] },
      kubeconfig: { type: "string" },
      context: { type: "string" },
      "control-plane": { type: "boolean", default: false },
      health: { type: "boolean", default: true },
      store: { type: "boolean", default: true },
      port: { type: "string", default: "8787" },
      host: { type: "string", default: "127.0.0.1" },
      "webhook-secret": { type: "string" },
      "drift-interval": { type: "string", default: "60" },
      "log-level": { type: "string", default: "WARN" },
      "state-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
    allowNegative: true,
  });
  const repos: Record<string, string> = {};
  for (const mapping of values.repo) {
    const eq = mapping.indexOf("=");
    if (eq <= 0 || eq === mapping.length - 1)
      throw new TypeError(`--repo expects owner/name=<directory>, got "${mapping}"`);
    repos[mapping.slice(0, eq)] = mapping.slice(eq + 1);
  }
  const logLevel = values["log-level"].toUpperCase();
  if (!["DEBUG", "INFO", "WARN", "ERROR", "SILENT"].includes(logLevel)) {
    throw new TypeError(
      `--log-level must be debug, info, warn, error or silent, got "${values["log-level"]}"`,
    );
  }
  return {
    targets: values.targets,
    repos,
    kubeconfig: values.kubeconfig,
    context: values.context,
    controlPlane: values["control-plane"],
    health: values.health,
    store: values.store,
    port: integerOption("port", values.port, 0, 65_535),
    host: values.host,
    webhookSecret: values["webhook-secret"],
    driftInterval: integerOption("drift-interval", values["drift-interval"], 0, 86_400),
    logLevel: logLevel as LocalArgs["logLevel"],
    stateDir: values["state-dir"],
    help: values.help,
  };
}

export const LOCAL_HELP = `npm start — the whole pullbridge bridge on this machine (no AWS account needed)

  npm start [-- options]

With no options it creates a demo repository (.pullbridge/demo-repo) with example manifests and a
target "demo" for it, and syncs it to your current kubeconfig context — or, when there is no
kubeconfig, to a local control plane (etcd + kube-apiserver; the first run builds it, ~5 min).
Statuses are health-gated as in AWS: \`pending\` after the apply, \`success\` once the objects are
rolled out and healthy. The local control plane gets controllers and fake nodes (KWOK) when their
binaries are built (\`npm test\` builds them); without them it has no controllers, nothing could
ever become ready, so health gating is off there and \`success\` means applied.

Options:
  --targets <file>            serve the targets of this file instead of the demo
  --repo <owner/name>=<dir>   read this repository from a local checkout (repeatable; offline mode)
  --kubeconfig <file>         kubeconfig for the demo target (default: $KUBECONFIG, then ~/.kube/config)
  --context <name>            kubeconfig context for the demo target (default: the current context)
  --control-plane             use the local control plane even when a kubeconfig exists
                              (with --targets: every target's cluster becomes the local control plane)
  --no-health                 report \`success\` once applied, without waiting for health
  --no-store                  no state store: do not start moto (S3; installed once, needs Python 3)
  --port <n>                  webhook port (default 8787; 0 picks a free port)
  --host <addr>               listen address (default 127.0.0.1)
  --webhook-secret <s>        webhook secret (default: $PULLBRIDGE_WEBHOOK_SECRET, else generated)
  --drift-interval <seconds>  run the drift schedule this often (default 60; 0 = never)
  --log-level <level>         functions' JSON logs: debug, info, warn (default), error, silent
  --state-dir <dir>           where the demo repository and the state for send-push live (default .pullbridge/)

Environment:
  PULLBRIDGE_GITHUB_TOKEN     read repositories and post commit statuses through the GitHub API
  PULLBRIDGE_GITHUB_API_URL   GitHub Enterprise Server API root
  PULLBRIDGE_WEBHOOK_SECRET   as --webhook-secret

Examples:
  npm start
  npm start -- --control-plane --drift-interval 10
  npm start -- --targets my-targets.yaml --repo acme/platform-config=../platform-config
  PULLBRIDGE_GITHUB_TOKEN=github_pat_… npm start -- --targets my-targets.yaml
`;
