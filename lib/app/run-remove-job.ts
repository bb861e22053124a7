/**
 * A remove job: delete everything a target synced — every ApplySet member (within the target's
 * policy, as any prune), then the ApplySet parent, and for a pull request's environment its
 * namespace — and say so on the commit that caused it. Queued for a config target removed with
 * `pruneOnRemove: true` and for an environment whose pull request closed (or timed out).
 *
 * A removed config target that is back in the config (same identity) is not removed. Removing
 * what is already gone is a no-op, so a retried job is harmless.
 */
import { targetIdentity } from "../config/diff-config.ts";
import { ENVIRONMENTS_KEY, environmentsSchema, type LiveEnvironment } from "../config/environments.ts";
import { applySetParentName, type Target } from "../config/targets.ts";
import { describeError, isRetryable } from "../errors.ts";
import type { RemoveJob } from "../jobs/job-codec.ts";
import { jsonDocument } from "../state/json-document.ts";
import { syncTarget } from "../sync/sync-target.ts";
import { deleteEnvironmentNamespace } from "./environment-namespace.ts";
import { jobAgeMetric } from "./job-outcome.ts";
import type { JobReport } from "./report-job.ts";
import type { ConfigRepositoryDeps, WorkerDeps } from "./worker-deps.ts";

const NO_COMMIT = "0".repeat(40);

/** The target the job removes, and the environment record when it is a pull request's environment. */
async function removedTarget(
  deps: WorkerDeps,
  store: ConfigRepositoryDeps,
  job: RemoveJob,
): Promise<{ target: Target; environment?: LiveEnvironment } | { skip: string }> {
  if (job.environment !== undefined) {
    const read = await jsonDocument(store.store, ENVIRONMENTS_KEY, environmentsSchema).read({
      signal: deps.signal,
    });
    const environment =
      read.kind === "found" ? read.value.environments.find((e) => e.name === job.target) : undefined;
    return environment === undefined
      ? { skip: `preview environment ${job.target} is not live: nothing to remove` }
      : { target: environment.target, environment };
  }
  const stored = await store.current.stored({ signal: deps.signal });
  const target = stored?.retired.find((r) => r.target.name === job.target)?.target;
  if (target === undefined) return { skip: `${job.target} is not waiting for removal: nothing to remove` };
  const identity = targetIdentity(target);
  if (deps.config.targets.some((t) => targetIdentity(t) === identity)) {
    return { skip: `${job.target} is back in the config: nothing removed` };
  }
  return { target };
}

/** Runs a remove job; throws only retryable errors. */
export async function runRemoveJob(deps: WorkerDeps, job: RemoveJob): Promise<JobReport> {
  const metrics = [jobAgeMetric(deps.now(), job.receivedAt)];
  const store = deps.configRepository;
  const found =
    store === undefined
      ? { skip: "no config repository state is configured" }
      : await removedTarget(deps, store, job);
  if ("skip" in found || store === undefined) {
    const reason = "skip" in found ? found.skip : "no config repository state is configured";
    deps.logger.info("remove job skipped", { target: job.target, reason });
    return { outcome: "skipped", target: job.target, message: reason, metrics };
  }
  const { target, environment } = found;
  const reportOn = job.reportOn;
  const github = await deps.github({
    installationId: job.installationId,
    repo: reportOn?.repo ?? target.repo,
  });
  const report = async (state: "success" | "failure" | "error", description: string, summary: string) => {
    if (reportOn !== undefined) {
      await github.reporter.finish({ ...reportOn, target: target.name, state, description, summary });
    }
  };
  try {
    const cluster = await deps.connectCluster(target, "sync");
    // Everything goes: an empty desired set, prune on, the namespace guard off (the namespace may go too).
    const result = await syncTarget(
      { ...deps.engine, cluster, toolingVersion: deps.toolingVersion },
      {
        target: { ...target, allowEmpty: true, prune: true, allowNamespacePrune: true },
        desired: [],
        configuredTargets: deps.config.targets,
        revision: { sha: reportOn?.sha ?? NO_COMMIT },
        now: deps.now(),
        mode: "apply",
        signal: deps.signal,
      },
    );
    const secrets = (await cluster.discover({ signal: deps.signal })).resolve({
      apiVersion: "v1",
      kind: "Secret",
    });
    if (secrets !== undefined) {
      await cluster.delete({
        resource: secrets,
        namespace: target.namespace,
        name: applySetParentName(target),
        signal: deps.signal,
      });
    }
    let namespace = "";
    if (environment !== undefined) {
      const gone = await deleteEnvironmentNamespace(cluster, {
        namespace: target.namespace,
        environment: target.name,
        signal: deps.signal,
      });
      namespace = gone === "deleted" ? `, namespace ${target.namespace} deleted` : "";
      await jsonDocument(store.store, ENVIRONMENTS_KEY, environmentsSchema).update(
        (current) =>
          current === undefined
            ? undefined
            : { ...current, environments: current.environments.filter((e) => e.name !== target.name) },
        { signal: deps.signal },
      );
    }
    const pruned = result.counts.pruned;
    const description = `removed: ${pruned} object${pruned === 1 ? "" : "s"} deleted${namespace}`;
    await report(
      "success",
      description,
      `${job.cause ?? "removed"}: every object target ${target.name} synced to ${target.cluster}/${target.namespace} was deleted, and its inventory (${applySetParentName(target)}).`,
    );
    deps.logger.info("target removed", { target: target.name, pruned, cause: job.cause });
    return { outcome: "synced", target: target.name, message: description, metrics };
  } catch (error) {
    if (isRetryable(error)) throw error;
    const message = describeError(error);
    await report("failure", `removal failed: ${message}`.slice(0, 140), message);
    deps.logger.error("removal failed permanently", { target: target.name, error: message });
    return { outcome: "failed", target: target.name, message, metrics };
  }
}
