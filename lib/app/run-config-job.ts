/**
 * A config job: read the config repository at its branch head, validate it completely (schema,
 * references, projects, generator expansion, cycles), report `pullbridge/config` on the commit,
 * and install it — store the expanded config in the state bucket, but only while that commit is
 * still the branch head and only over the version it was compared with (compare-and-swap on its
 * ETag), so of two racing pushes the older can never be installed last — then queue a sync for
 * every added or changed target and a removal for every removed one that asked to be pruned.
 * An invalid config installs nothing: the one in force stays. A pull request's head is only
 * validated and reported.
 */
import { type ParsedConfig, parseConfigDocuments } from "../config/config-documents.ts";
import {
  type ConfigChange,
  describeConfigChange,
  diffConfigs,
  targetIdentity,
} from "../config/diff-config.ts";
import {
  type DirectoryListing,
  directoriesToList,
  expandConfig,
  listingKey,
} from "../config/expand-config.ts";
import { globRoot } from "../config/generators.ts";
import {
  packStoredConfig,
  type RetiredTarget,
  readStoredConfig,
  STORED_CONFIG_KEY,
  type StoredConfig,
} from "../config/stored-config.ts";
import type { ConfigRepository, Target } from "../config/targets.ts";
import { describeError, isRetryable, StateStoreError } from "../errors.ts";
import type { JobGitHub } from "../github/job-github-ports.ts";
import { type ConfigJob, type Job, JobTrigger, validateJob } from "../jobs/job-codec.ts";
import type { FinalState } from "../reporting/commit-reporter.ts";
import {
  configAnnotations,
  formatConfigProblems,
  formatConfigTargets,
  formatRemoved,
  formatRemovedNote,
} from "../reporting/format-config-report.ts";
import { formatGaveUp, formatRetrying } from "../reporting/format-job-report.ts";
import { failureMessage, jobAgeMetric } from "./job-outcome.ts";
import type { JobReport } from "./report-job.ts";
import type { ConfigRepositoryDeps, WorkerDeps } from "./worker-deps.ts";

/** The status context and check run of config commits: `pullbridge/config`. */
const CONFIG_CONTEXT = "config";

/** A removed target waiting for its removal job stays listed this long (a failed removal is reported, not retried forever). */
const RETIRED_DAYS = 7;

type ConfigRun = {
  deps: WorkerDeps;
  repository: ConfigRepository;
  config: ConfigRepositoryDeps;
  github: JobGitHub;
  job: ConfigJob;
  sha: string;
};

/** Posts the final `pullbridge/config` status (and check run) on the config commit. */
async function conclude(
  run: ConfigRun,
  state: FinalState,
  description: string,
  summary: string,
  annotations: ReturnType<typeof configAnnotations> = [],
): Promise<JobReport> {
  await run.github.reporter.finish({
    repo: run.repository.repo,
    sha: run.sha,
    target: CONFIG_CONTEXT,
    state,
    description,
    summary,
    ...(annotations.length > 0 ? { annotations } : {}),
  });
  const outcome = state === "success" ? "synced" : "failed";
  run.deps.logger.info("config job done", { sha: run.sha, state, description });
  return {
    outcome,
    target: run.job.target,
    sha: run.job.sha,
    syncedSha: run.sha,
    message: description,
    metrics: [jobAgeMetric(run.deps.now(), run.job.receivedAt)],
  };
}

/** Reads the config files at `sha` (only the config path) as text. */
async function readConfigFiles(run: ConfigRun): Promise<Map<string, string>> {
  const tree = await run.github.source.fetchTree({
    repo: run.repository.repo,
    sha: run.sha,
    paths: [run.repository.path],
    limits: run.deps.sourceLimits,
  });
  const decoder = new TextDecoder();
  return new Map([...tree].map(([path, bytes]) => [path, decoder.decode(bytes)]));
}

/**
 * Lists the directories every `directories` generator reads, at its branch head (one Git trees
 * call per repository branch). A permanent failure (no access, no branch) is a problem of the
 * config; a retryable one retries the job.
 */
async function listDirectories(run: ConfigRun, parsed: ParsedConfig): Promise<Map<string, DirectoryListing>> {
  const listings = new Map<string, DirectoryListing>();
  const wanted = new Map<string, { repo: string; branch: string; roots: Set<string> }>();
  for (const source of directoriesToList(parsed)) {
    const key = listingKey(source.repo, source.branch);
    const entry = wanted.get(key) ?? { repo: source.repo, branch: source.branch, roots: new Set<string>() };
    entry.roots.add(globRoot(source.glob));
    wanted.set(key, entry);
  }
  for (const [key, { repo, branch, roots }] of wanted) {
    try {
      const github = await run.deps.github({ repo });
      const sha = await github.source.headSha({ repo, branch });
      const under = roots.size === 1 ? ([...roots][0] ?? ".") : ".";
      const { directories } = await github.source.listDirectories({ repo, sha, under });
      listings.set(key, { directories });
    } catch (error) {
      if (isRetryable(error)) throw error;
      listings.set(key, { error: describeError(error) });
    }
  }
  return listings;
}

/** The stored config and its ETag, read straight from the store (the install compares against this version). */
async function readStored(run: ConfigRun): Promise<{ config: StoredConfig; etag: string } | undefined> {
  const answer = await run.config.store.get(STORED_CONFIG_KEY, { signal: run.deps.signal });
  if (answer.kind !== "found") return undefined;
  const config = readStoredConfig(answer.body, `s3://${run.config.store.bucket}/${STORED_CONFIG_KEY}`);
  const { repo, branch, path } = run.repository;
  const same =
    config.repo.toLowerCase() === repo.toLowerCase() && config.branch === branch && config.path === path;
  // Another repository's config (the stack now points elsewhere) is replaced, never diffed against.
  return { config: same ? config : { ...config, targets: [], retired: [] }, etag: answer.etag };
}

/**
 * One sync per added or changed target at its branch head; one removal per removed target with
 * `pruneOnRemove`. A target whose branch cannot be read (not pushed yet, no access) gets no job
 * now — its first push syncs it — and a note says so.
 */
async function jobsFor(
  run: ConfigRun,
  names: { sync: readonly string[]; remove: readonly string[] },
  targets: readonly Target[],
  retired: readonly RetiredTarget[],
): Promise<{ jobs: Job[]; notes: string[] }> {
  const { job } = run;
  // Per config job (a retry reuses it, so SQS drops the copies); not per config commit: pushes to a
  // generator's repository re-expand the same commit, and their jobs must not be taken for copies.
  const deliveryId = `config-${job.deliveryId}`.slice(0, 100);
  const heads = new Map<string, string | Error>();
  const jobs: Job[] = [];
  const notes: string[] = [];
  for (const name of names.sync) {
    const target = targets.find((t) => t.name === name);
    if (target === undefined) continue;
    const key = listingKey(target.repo, target.branch);
    let head = heads.get(key);
    if (head === undefined) {
      try {
        const github = await run.deps.github({ repo: target.repo });
        head = await github.source.headSha({ repo: target.repo, branch: target.branch });
      } catch (error) {
        if (isRetryable(error)) throw error;
        head = error instanceof Error ? error : new Error(String(error));
      }
      heads.set(key, head);
    }
    if (head instanceof Error) {
      notes.push(`${target.name} not synced yet (${failureMessage(head)}): its first push syncs it`);
      continue;
    }
    jobs.push(
      validateJob({
        type: "sync",
        trigger: JobTrigger.Config,
        target: target.name,
        repo: target.repo,
        ref: `refs/heads/${target.branch}`,
        sha: head,
        before: head,
        deliveryId,
        sender: job.sender,
        receivedAt: run.deps.now().toISOString(),
      }),
    );
  }
  for (const name of names.remove) {
    const entry = retired.find((r) => r.target.name === name);
    if (entry === undefined) continue;
    jobs.push(
      validateJob({
        type: "remove",
        target: name,
        repo: entry.target.repo,
        deliveryId,
        sender: job.sender,
        receivedAt: run.deps.now().toISOString(),
        reportOn: { repo: run.repository.repo, sha: run.sha },
        cause: `removed from the config at ${run.sha.slice(0, 7)} with pruneOnRemove: true`,
      }),
    );
  }
  return { jobs, notes };
}

/** The removed targets still waiting to be pruned: the earlier ones (unless re-added or too old) and the new ones. */
function nextRetired(
  previous: readonly RetiredTarget[],
  change: ConfigChange,
  installed: readonly Target[],
  sha: string,
  now: Date,
): RetiredTarget[] {
  const live = new Set(installed.map(targetIdentity));
  const cutoff = now.getTime() - RETIRED_DAYS * 86_400_000;
  const kept = previous.filter(
    (r) => !live.has(targetIdentity(r.target)) && Date.parse(r.removedAt) >= cutoff,
  );
  const added = change.removed
    .filter((t) => t.pruneOnRemove)
    .map((target) => ({ target, removedIn: sha, removedAt: now.toISOString() }));
  return [...kept.filter((r) => !added.some((a) => a.target.name === r.target.name)), ...added];
}

/** Validates the config at `run.sha` and, unless only validating a pull request, installs it. */
async function validateAndInstall(run: ConfigRun): Promise<JobReport> {
  const { deps, repository, job, sha } = run;
  const validateOnly = job.pullRequest !== undefined;
  if (repository.requireVerifiedCommits) {
    const verification = await run.github.source.commitVerification({ repo: repository.repo, sha });
    if (!verification.verified) {
      return await conclude(
        run,
        "failure",
        `config commit not verified by GitHub (${verification.reason}): nothing installed`,
        `The stack file requires verified commits for the config repository (\`configRepository.requireVerifiedCommits\`); GitHub says this commit is not verified: \`${verification.reason}\`. The config in force is unchanged.`,
      );
    }
  }
  const parsed = parseConfigDocuments(await readConfigFiles(run));
  const expanded = expandConfig({
    parsed,
    stack: deps.config,
    directories: await listDirectories(run, parsed),
  });
  const stored = await readStored(run);
  const previous = stored?.config;
  if (expanded.problems.length > 0) {
    const n = expanded.problems.length;
    const kept =
      previous === undefined
        ? "no config is installed yet"
        : `the config of ${previous.sha.slice(0, 7)} stays in force`;
    return await conclude(
      run,
      "failure",
      `config invalid: ${n} problem${n === 1 ? "" : "s"}; ${validateOnly ? "would not install" : kept}`,
      [
        `The config at ${sha.slice(0, 7)} was not ${validateOnly ? "validated" : "installed"}: ${kept}.`,
        "",
        formatConfigProblems(expanded.problems),
      ].join("\n"),
      configAnnotations(expanded.problems),
    );
  }
  const targets = expanded.targets.map((e) => e.target);
  const change = diffConfigs(previous?.targets ?? [], targets);
  const line = `${describeConfigChange(targets.length, change)}${formatRemovedNote(change.removed)}`;
  const summary = [formatConfigTargets(expanded.targets, change), formatRemoved(change.removed)]
    .filter((part) => part !== "")
    .join("\n\n");
  if (validateOnly) return await conclude(run, "success", `valid: ${line}`, summary);
  if (previous?.sha === sha && change.added.length + change.changed.length + change.removed.length === 0) {
    // Installed already (a redelivery, or a retry after the store whose queueing failed): queue
    // what the install queued again — the dedup ids make a second copy harmless — and write nothing.
    const { jobs } = await jobsFor(run, previous.queued, previous.targets, previous.retired);
    if (jobs.length > 0) await run.config.queue.enqueue(jobs);
    return await conclude(run, "success", line, summary);
  }

  // Install only the branch head, and only over the version this was compared with.
  const head = await run.github.source.headSha({ repo: repository.repo, branch: repository.branch });
  if (head !== sha) {
    return await conclude(
      run,
      "success",
      `superseded by ${head.slice(0, 7)} before it was installed`,
      `The branch moved to ${head.slice(0, 7)} while this commit was validated; that commit's job installs its config.`,
    );
  }
  const now = deps.now();
  const retired = nextRetired(previous?.retired ?? [], change, targets, sha, now);
  const queued = {
    sync: [...change.added, ...change.changed.map((c) => c.after)].map((t) => t.name),
    remove: change.removed.filter((t) => t.pruneOnRemove).map((t) => t.name),
  };
  const body = packStoredConfig({
    repo: repository.repo,
    branch: repository.branch,
    path: repository.path,
    sha,
    storedAt: now.toISOString(),
    targets,
    origins: Object.fromEntries(expanded.targets.map((e) => [e.target.name, e.origin])),
    directorySources: expanded.directorySources,
    pullRequestGenerators: expanded.pullRequestGenerators,
    retired,
    queued,
  });
  const written = await run.config.store.put(
    STORED_CONFIG_KEY,
    body,
    stored === undefined ? { ifNoneMatch: "*" } : { ifMatch: stored.etag },
    { contentType: "application/json", signal: deps.signal },
  );
  if (written.kind === "conflict") {
    // Another config job stored first: this one starts again from the stored version and the head.
    throw new StateStoreError("state store: the stored config changed while this one was validated", {
      retryable: true,
      operation: "put",
      location: `s3://${run.config.store.bucket}/${STORED_CONFIG_KEY}`,
      code: "ConflictPersisted",
    });
  }
  const { jobs, notes } = await jobsFor(run, queued, targets, retired);
  if (jobs.length > 0) await run.config.queue.enqueue(jobs);
  deps.logger.info("config installed", { sha, queued, etag: written.etag, notes });
  const noted =
    notes.length === 0
      ? summary
      : [summary, "### Not synced yet", "", ...notes.map((n) => `- ${n}`)].join("\n\n");
  return await conclude(run, "success", line, noted);
}

/** Runs a config job; throws only retryable errors (after saying so on the commit). */
export async function runConfigJob(deps: WorkerDeps, job: ConfigJob): Promise<JobReport> {
  const repository = deps.config.configRepository;
  const config = deps.configRepository;
  if (repository === undefined || config === undefined) {
    const message = "no config repository is configured (or no state bucket): config job acknowledged";
    deps.logger.warn(message, { repo: job.repo });
    return { outcome: "skipped", target: job.target, sha: job.sha, message, metrics: [] };
  }
  const github = await deps.github({ installationId: job.installationId, repo: repository.repo });
  const sha =
    job.pullRequest?.headSha ??
    (await github.source.headSha({ repo: repository.repo, branch: repository.branch }));
  const run: ConfigRun = { deps, repository, config, github, job, sha };
  if (job.sha !== undefined && job.sha !== sha && job.pullRequest === undefined) {
    await github.reporter.finish({
      repo: repository.repo,
      sha: job.sha,
      target: CONFIG_CONTEXT,
      state: "success",
      description: `superseded by ${sha.slice(0, 7)}: the config of the branch head is installed instead`,
      summary: `A newer commit (${sha.slice(0, 7)}) is the head of ${repository.branch}; its config is validated and installed instead of this one's.`,
    });
  }
  await github.reporter.pending({
    repo: repository.repo,
    sha,
    target: CONFIG_CONTEXT,
    description:
      job.pullRequest === undefined ? "validating and installing the config" : "validating the config",
  });
  try {
    return await validateAndInstall(run);
  } catch (error) {
    if (!isRetryable(error)) {
      const message = failureMessage(error);
      return await conclude(run, "error", `config not installed: ${message}`.slice(0, 140), message);
    }
    const attempt = deps.attempt;
    deps.logger.warn("config job failed, will be retried", { sha, error: describeError(error) });
    if (attempt !== undefined) {
      const ref = { repo: repository.repo, sha, target: CONFIG_CONTEXT };
      const reason = failureMessage(error);
      // Best effort: the job is retried whatever GitHub answers.
      await (attempt.number >= attempt.of
        ? github.reporter.finish({
            ...ref,
            state: "failure",
            description: formatGaveUp(attempt.number, reason),
            summary: reason,
          })
        : github.reporter.pending({
            ...ref,
            description: formatRetrying(attempt.number + 1, attempt.of, reason),
          })
      ).catch((postError: unknown) =>
        deps.logger.warn("could not report the retry on the config commit", {
          error: describeError(postError),
        }),
      );
    }
    throw error;
  }
}
