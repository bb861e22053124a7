/**
 * Image updater Lambda (composition root): consumes the image FIFO queue and writes image-update
 * commits (or pull requests) through the GitHub Git data API. Holds GitHub credentials with
 * contents: write (and pull requests: write for pull-request mode) — and no cluster credentials.
 */

import { createParametersSecretReader } from "../../lib/config/adapters/read-secrets.ts";
import { loadImageUpdaterEnv } from "../../lib/config/images-env.ts";
import { loadOptionalStateStoreEnv } from "../../lib/config/state-env.ts";
import { createGitHubClientProvider } from "../../lib/github/adapters/github-client.ts";
import { createGitHubImageRepo } from "../../lib/github/adapters/github-image-repo.ts";
import { createServiceLogger } from "../../lib/telemetry/adapters/powertools-logger.ts";
import { createServiceMetrics } from "../../lib/telemetry/adapters/powertools-metrics.ts";
import { ServiceName } from "../../lib/telemetry/metric-names.ts";
import { composeConfigSource } from "../state/compose-config-source.ts";
import { createImageUpdaterHandler } from "./create-handler.ts";

const env = loadImageUpdaterEnv();
const clients = createGitHubClientProvider({
  config: env.github,
  secrets: createParametersSecretReader({ maxAgeSeconds: env.secretsMaxAgeSeconds }),
});

const { current } = composeConfigSource(env.targets, loadOptionalStateStoreEnv());

export const handler = createImageUpdaterHandler({
  targets: env.targets.targets,
  ...(env.targets.configRepository === undefined
    ? {}
    : { currentTargets: async () => (await current.targets()).targets }),
  // Image events carry no installation id: an App looks its installation up per repository (cached).
  repoFor: async (job) =>
    createGitHubImageRepo({ octokit: (await clients.forInstallation(undefined, job.repo)).octokit }),
  identity: env.identity,
  logger: createServiceLogger(ServiceName.Images),
  metrics: createServiceMetrics(ServiceName.Images),
});
