/**
 * Everything a job sends out — commit statuses, check runs and their annotations, GitHub
 * Deployment payloads, log lines — passes through the job's decrypted values, so none of them
 * can carry one, whatever produced the text (an API error echoing a value, a diff, a message
 * that quotes a rendered field). Errors leaving the job are redacted in place (they keep their
 * class and `retryable`).
 */
import type { JobGitHub } from "../github/job-github-ports.ts";
import type { SecretValues } from "../secrets/secret-values.ts";
import type { Log } from "../telemetry/log.ts";

/** The job's GitHub ports with every report redacted. */
export function redactingGitHub(github: JobGitHub, values: SecretValues): JobGitHub {
  const { reporter, deployments } = github;
  return {
    ...github,
    reporter: {
      checkRuns: reporter.checkRuns,
      pending: (report) => reporter.pending(values.redactDeep(report)),
      finish: (report) => reporter.finish(values.redactDeep(report)),
    },
    ...(deployments === undefined
      ? {}
      : {
          deployments: {
            start: (deployment) => deployments.start(values.redactDeep(deployment)),
            record: (deployment, result) =>
              deployments.record(values.redactDeep(deployment), values.redactDeep(result)),
            finish: (handle, result) => deployments.finish(handle, values.redactDeep(result)),
            latest: (repo, environment) => deployments.latest(repo, environment),
            warnings: () => deployments.warnings(),
          },
        }),
  };
}

/** The logger with every message and attribute redacted. */
export function redactingLog(log: Log, values: SecretValues): Log {
  return {
    debug: (message, attributes) => log.debug(values.redact(message), values.redactDeep(attributes)),
    info: (message, attributes) => log.info(values.redact(message), values.redactDeep(attributes)),
    warn: (message, attributes) => log.warn(values.redact(message), values.redactDeep(attributes)),
    error: (message, attributes) => log.error(values.redact(message), values.redactDeep(attributes)),
  };
}
