/**
 * Deployments in local mode. Without GitHub credentials, an in-memory DeploymentReporter that
 * prints each transition the worker and the health consumer would post
 * ("⇢ deployment #2 production acme/shop@abc1234 in_progress: applying +0 ~1 -0, 3 unchanged"),
 * keeping GitHub's `auto_inactive` rule so the printed history matches what GitHub would show.
 * With a token, `printDeploymentTransitions` prints the same lines around the real reporter.
 */
import type {
  DeploymentFinish,
  DeploymentHandle,
  DeploymentReporter,
  DeploymentStart,
  LatestDeployment,
} from "./deployment-reporter.ts";
import { truncateLine } from "./format-text.ts";

type Write = (text: string) => void;
type Described = { environment: string; repo: string; sha: string };

function line(id: number, d: Described, state: string, description: string | undefined): string {
  const text = description ? `: ${truncateLine(description)}` : "";
  return `⇢ deployment #${id} ${d.environment} ${d.repo}@${d.sha.slice(0, 7)} ${state}${text}`;
}

/** Wraps a reporter so each status it posts is also printed (local mode with a token). */
export function printDeploymentTransitions(inner: DeploymentReporter, write: Write): DeploymentReporter {
  const known = new Map<number, Described>();
  const remember = (handle: DeploymentHandle | undefined, d: DeploymentStart) => {
    if (handle) known.set(handle.id, { environment: d.environment, repo: d.repo, sha: d.sha });
    return handle;
  };
  const print = (handle: DeploymentHandle, state: string, description: string) => {
    const d = known.get(handle.id) ?? { environment: "?", repo: handle.repo, sha: "" };
    write(line(handle.id, d, state, description));
  };
  return {
    async start(deployment) {
      const handle = remember(await inner.start(deployment), deployment);
      if (handle) print(handle, "in_progress", deployment.description);
      return handle;
    },
    async record(deployment, result) {
      const handle = remember(await inner.record(deployment, result), deployment);
      if (handle) print(handle, result.state, result.description);
      return handle;
    },
    async finish(handle, result) {
      await inner.finish(handle, result);
      print(handle, result.state, result.description);
    },
    latest: (repo, environment) => inner.latest(repo, environment),
    warnings: () => inner.warnings(),
  };
}

type StoredStatus = Omit<DeploymentFinish, "state"> & {
  state: DeploymentFinish["state"] | "in_progress";
  at: string;
};
type Stored = Described & { id: number; createdAt: string; statuses: StoredStatus[] };

/** An in-memory reporter that prints transitions (local mode without GitHub). */
export function createConsoleDeploymentReporter(
  options: { write?: Write; now?: () => Date } = {},
): DeploymentReporter {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  const now = options.now ?? (() => new Date());
  const stored: Stored[] = [];
  const post = (d: Stored, status: Omit<StoredStatus, "at">) => {
    d.statuses.push({ ...status, at: now().toISOString() });
    write(line(d.id, d, status.state, status.description));
    if (status.state !== "success") return;
    // GitHub's auto_inactive: earlier successful deployments of the environment are retired.
    for (const earlier of stored) {
      if (earlier.id >= d.id || earlier.environment !== d.environment || earlier.repo !== d.repo) continue;
      if (earlier.statuses.at(-1)?.state !== "success") continue;
      earlier.statuses.push({ state: "inactive", description: "", at: now().toISOString() });
      write(line(earlier.id, earlier, "inactive", `replaced by #${d.id}`));
    }
  };
  const create = (deployment: DeploymentStart): Stored => {
    const d: Stored = {
      id: stored.length + 1,
      environment: deployment.environment,
      repo: deployment.repo,
      sha: deployment.sha,
      createdAt: now().toISOString(),
      statuses: [],
    };
    stored.push(d);
    return d;
  };
  const find = (handle: DeploymentHandle) => stored.find((d) => d.id === handle.id);
  return {
    async start(deployment) {
      const d = create(deployment);
      post(d, {
        state: "in_progress",
        description: deployment.description,
        environmentUrl: deployment.environmentUrl,
      });
      return { repo: d.repo, id: d.id };
    },
    async record(deployment, result) {
      const d = create(deployment);
      post(d, result);
      return { repo: d.repo, id: d.id };
    },
    async finish(handle, result) {
      const d = find(handle);
      if (d) post(d, result);
    },
    async latest(repo, environment): Promise<LatestDeployment | undefined> {
      const d = stored.filter((s) => s.repo === repo && s.environment === environment).at(-1);
      if (d === undefined) return undefined;
      const status = d.statuses.at(-1);
      return {
        id: d.id,
        sha: d.sha,
        environment: d.environment,
        createdAt: d.createdAt,
        state: status?.state,
        description: status?.description,
        updatedAt: status?.at,
        logUrl: status?.logUrl,
        environmentUrl: status?.environmentUrl,
      };
    },
    warnings: () => [],
  };
}
