/** What the worker benchmarks bundle and the environment its cold module load runs with. */

export const WORKER_ENTRY = "functions/worker/handler.ts";

/** As serverless.yml configures the worker, minus real ARNs: an EKS target, token auth, a health queue. */
export const WORKER_COLD_LOAD_ENV: Record<string, string> = {
  PULLBRIDGE_TARGETS_YAML:
    "version: 1\nclusters:\n  prod: { type: eks, name: prod }\ntargets:\n  - { name: web, repo: acme/app, path: apps/web, cluster: prod, namespace: web }\n",
  PULLBRIDGE_GITHUB_TOKEN_PARAMETER: "/pullbridge/bench/github-token",
  PULLBRIDGE_HEALTH_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/000000000000/health",
};
