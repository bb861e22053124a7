/**
 * An environment job: one push to (or labelling of) a pull request of a `pullRequests`
 * generator's repository → its preview environment synced at the pull request's head. The
 * template is expanded for this pull request and checked against its project, the project's cap
 * on live environments is taken by compare-and-swap on the live environments object, the
 * environment's namespace is created (labelled as its own) with the worker's RoleBinding, and the
 * rest is an ordinary sync of the pull request's branch (coalesced to its head, reported as
 * `pullbridge/<generator>-pr-<number>` on the head commit).
 *
 * Forks never reach here (the webhook routes only same-repository heads), and an environment's
 * target never decrypts secrets: it has no project key of its own.
 */

import {
  ENVIRONMENTS_KEY,
  type Environments,
  environmentsSchema,
  NO_ENVIRONMENTS,
} from "../config/environments.ts";
import { pullRequestTarget } from "../config/expand-config.ts";
import { boundTarget, projectExcesses } from "../config/project-bounds.ts";
import type { Target } from "../config/targets.ts";
import { describeError, isRetryable } from "../errors.ts";
import type { EnvironmentJob, SyncJob } from "../jobs/job-codec.ts";
import { createSecretValues } from "../secrets/secret-values.ts";
import { jsonDocument } from "../state/json-document.ts";
import { ensureEnvironmentNamespace } from "./environment-namespace.ts";
import { jobAgeMetric } from "./job-outcome.ts";
import type { JobReport } from "./report-job.ts";
import { runSyncJob } from "./run-sync-job.ts";
import type { WorkerDeps } from "./worker-deps.ts";

/** Runs an environment job; throws only retryable errors. */
export async function runEnvironmentJob(deps: WorkerDeps, job: EnvironmentJob): Promise<JobReport> {
  const jobAge = jobAgeMetric(deps.now(), job.receivedAt);
  const skip = (message: string): JobReport => {
    deps.logger.warn("environment job skipped", { target: job.target, reason: message });
    return { outcome: "skipped", target: job.target, sha: job.sha, message, metrics: [jobAge] };
  };
  const store = deps.configRepository;
  if (store === undefined) return skip("no config repository state is configured");
  const stored = await store.current.stored({ signal: deps.signal });
  const generator = stored?.pullRequestGenerators.find((g) => g.name === job.generator);
  if (generator === undefined) return skip(`generator ${job.generator} is not in the config in force`);
  const github = await deps.github({ installationId: job.installationId, repo: job.repo });
  const refuse = async (description: string, summary: string): Promise<JobReport> => {
    await github.reporter.finish({
      repo: job.repo,
      sha: job.sha,
      target: job.target,
      state: "failure",
      description: description.slice(0, 140),
      summary,
    });
    deps.logger.warn("preview environment refused", { target: job.target, reason: summary });
    return { outcome: "failed", target: job.target, sha: job.sha, message: description, metrics: [jobAge] };
  };

  const expanded = pullRequestTarget(generator, {
    number: job.pullRequest.number,
    branch: job.pullRequest.branch,
    sha: job.sha,
  });
  if ("problems" in expanded) {
    const lines = expanded.problems.map((p) => `- ${p.field ?? ""}: ${p.reason}`);
    return await refuse(
      `preview environment not created: ${expanded.problems[0]?.reason ?? "invalid"}`,
      [
        `The template of generator ${generator.name} (${generator.origin.file}) does not make a valid target for this pull request:`,
        "",
        ...lines,
      ].join("\n"),
    );
  }
  const project = deps.config.projects[generator.project];
  if (project === undefined) {
    return await refuse(
      `unknown project ${generator.project}`,
      `Project ${generator.project} is not in the stack file.`,
    );
  }
  const excesses = projectExcesses(expanded.target, generator.project, project);
  if (excesses.length > 0) {
    const lines = excesses.map((e) => `- ${e.path.join(".")}: ${e.message}`);
    return await refuse(
      `preview environment refused: ${excesses[0]?.path.join(".")}: ${excesses[0]?.message}`,
      ["This pull request's environment would exceed its project:", "", ...lines].join("\n"),
    );
  }
  // Reported once applied: a health wait would need the health function to know every environment.
  const target: Target = {
    ...boundTarget(expanded.target, project),
    health: { ...expanded.target.health, wait: false },
  };

  // Take a place (or keep ours) under the project's cap, atomically.
  const now = deps.now().toISOString();
  let full: string[] | undefined;
  await jsonDocument(store.store, ENVIRONMENTS_KEY, environmentsSchema).update(
    (current): Environments | undefined => {
      full = undefined;
      const envs = current ?? NO_ENVIRONMENTS;
      const existing = envs.environments.find((e) => e.name === target.name);
      const record = {
        name: target.name,
        generator: generator.name,
        project: generator.project,
        repo: job.repo,
        number: job.pullRequest.number,
        branch: job.pullRequest.branch,
        headSha: job.sha,
        createdAt: existing?.createdAt ?? now,
        lastSyncAt: now,
        ttlHours: generator.spec.ttlHours,
        target,
      };
      if (existing !== undefined) {
        return { ...envs, environments: envs.environments.map((e) => (e.name === target.name ? record : e)) };
      }
      const live = envs.environments.filter((e) => e.project === generator.project).map((e) => e.name);
      if (live.length >= project.maxPreviewEnvironments) {
        full = live;
        return undefined;
      }
      return { ...envs, environments: [...envs.environments, record] };
    },
    { signal: deps.signal },
  );
  if (full !== undefined) {
    return await refuse(
      `preview environment refused: project ${generator.project} allows ${project.maxPreviewEnvironments} live`,
      `Project ${generator.project} allows ${project.maxPreviewEnvironments} live preview environments (\`maxPreviewEnvironments\`), and ${full.length} are live: ${full.join(", ") || "none"}. Close one of their pull requests (or remove its label), then push again.`,
    );
  }

  try {
    const cluster = await deps.connectCluster(target, "sync");
    await ensureEnvironmentNamespace(cluster, {
      namespace: target.namespace,
      environment: target.name,
      signal: deps.signal,
    });
  } catch (error) {
    if (isRetryable(error)) throw error;
    return await refuse(`preview environment not created: ${describeError(error)}`, describeError(error));
  }
  const sync: SyncJob = {
    v: 1,
    type: "sync",
    trigger: job.trigger,
    target: target.name,
    repo: job.repo,
    ...(job.installationId === undefined ? {} : { installationId: job.installationId }),
    ref: job.ref,
    sha: job.sha,
    before: job.before,
    deliveryId: job.deliveryId,
    sender: job.sender,
    receivedAt: job.receivedAt,
  };
  // A pull request's environment never decrypts (docs/secrets.md): without a key ring, an
  // encrypted file fails this sync naming the file, so a pull request cannot make the worker
  // decrypt anything into a namespace it controls.
  return await runSyncJob(
    { deps: { ...deps, keyRing: undefined }, target, github, jobAge, secretValues: createSecretValues() },
    sync,
  );
}
