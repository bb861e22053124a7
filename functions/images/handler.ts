/**
 * Image updater Lambda (composition root): consumes the image FIFO queue and writes image-update
 * commits (or pull requests) through the GitHub Git data API. Holds GitHub credentials with
 * contents: write (and pull requests: write for pull-request mode) — and no cluster credentials.
 */

import { loadImageUpdaterEnv } from "../../lib/config/images-env.ts";
import { createParametersSecretReader } from "../../lib/config/read-secrets.ts";
import { createGitHubClientProvider } from "../../lib/github/github-client.ts";
import { createGitHubImageRepo } from "../../lib/github/github-image-repo.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { createServiceLogger } from "../../lib/telemetry/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/powertools-metrics.ts";
import { createImageUpdaterHandler } from "./create-handler.ts";

const env = loadImageUpdaterEnv();
const clients = createGitHubClientProvider({
  config: env.github,
  secrets: createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds }),
});

export const handler = createImageUpdaterHandler({
  targets: env.targets.targets,
  // Image events carry no installation id: an App looks its installation up per repository (cached).
  repoFor: async (job) =>
    createGitHubImageRepo({ octokit: (await clients.forInstallation(undefined, job.repo)).octokit }),
  identity: env.identity,
  logger: createServiceLogger(ServiceName.Images),
  metrics: createServiceMetrics(ServiceName.Images),
});
