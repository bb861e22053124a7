/**
 * `pullbridge status`: each target's last sync (from its ApplySet parent) and its objects' health
 * now (lib/app/status-command.ts); with a targets file and a token, each one's last GitHub Deployment.
 */
import { selectTarget } from "../../../lib/app/cli-target.ts";
import {
  readTargetStatuses,
  type StatusQuery,
  withLastDeployments,
} from "../../../lib/app/status-command.ts";
import { formatStatusTable, statusJson } from "../../../lib/cli/format-status.ts";
import type { Target } from "../../../lib/config/targets.ts";
import { createGitHubClientProvider } from "../../../lib/github/adapters/github-client.ts";
import { createGitHubDeploymentReporter } from "../../../lib/reporting/adapters/github-deployment-reporter.ts";
import { defineCommand, EXIT } from "../cli-command.ts";
import { CLUSTER_FLAGS, FLAGS } from "../cli-flags.ts";
import { loadTargetsFile } from "../targets-file.ts";

export const statusCommand = defineCommand({
  name: "status",
  usage: "[options]",
  summary:
    "last synced commit, time, counts and per-object health per target (from the ApplySet parents and one read of their objects)",
  about:
    "Lists pullbridge's targets — every ApplySet parent pullbridge wrote in the namespace (-n, or every namespace with -A), the one --target names, or the targets of a targets file — with the revision each last synced, when, its counts, and each object's health now (one read, the health consumer's assessment; kinds without a status are not read). With --targets and PULLBRIDGE_GITHUB_TOKEN (PULLBRIDGE_GITHUB_API_URL for GitHub Enterprise Server), also each target's last GitHub Deployment.",
  flags: {
    ...CLUSTER_FLAGS,
    targets: {
      ...FLAGS.targets,
      help: "a targets file: its targets (their names and namespaces), and their last GitHub Deployment with PULLBRIDGE_GITHUB_TOKEN",
    },
    target: { ...FLAGS.target, help: "only this target (with --targets: the file's target of that name)" },
    namespace: {
      ...FLAGS.namespace,
      help: 'the namespace whose targets to list without --targets (default: the context\'s, else "default")',
    },
    "all-namespaces": FLAGS["all-namespaces"],
  },
  examples: ["pullbridge status -n apps", "pullbridge status --targets infra/targets.yaml --context prod"],
  exitCodes: "0, 1 when a target's parent cannot be read.",
  run: async ({ flags, terminal, cwd, now, connect }) => {
    // A status over several targets reads with the caller's kubeconfig (not each target's cluster).
    const connection = await connect({ kubeconfig: flags.kubeconfig, context: flags.context });
    let query: StatusQuery;
    let fileTargets: Target[] = [];
    if (flags.targets !== undefined) {
      const file = await loadTargetsFile(flags.targets, cwd);
      fileTargets =
        flags.target === undefined ? file.targets : [selectTarget(file, flags.target, flags.targets)];
      query = { kind: "targets", targets: fileTargets };
    } else {
      const namespace = flags.namespace ?? connection.namespace ?? "default";
      query =
        flags.target !== undefined
          ? { kind: "targets", targets: [{ name: flags.target, namespace }] }
          : { kind: "discover", namespace: flags.allNamespaces ? undefined : namespace };
    }
    let statuses = await readTargetStatuses({ cluster: connection.cluster }, query);
    // With a targets file (repositories, environments) and a token: each target's last GitHub Deployment.
    const token = terminal.env.githubToken;
    if (fileTargets.length > 0 && token) {
      const baseUrl = terminal.env.githubApiUrl;
      const provider = createGitHubClientProvider({
        config: { tokenRef: "cli:PULLBRIDGE_GITHUB_TOKEN", ...(baseUrl ? { baseUrl } : {}) },
        secrets: { read: async () => token },
      });
      const { octokit } = await provider.forInstallation(undefined, undefined);
      statuses = await withLastDeployments(
        createGitHubDeploymentReporter({ octokit }),
        statuses,
        fileTargets,
      );
    }
    if (terminal.output === "json") terminal.json(statusJson(statuses));
    else terminal.out(`${formatStatusTable(statuses, now(), terminal.p)}\n`);
    return statuses.some((s) => s.state === "error") ? EXIT.error : EXIT.ok;
  },
});
