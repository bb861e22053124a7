import { defineConfig } from "vitest/config";

// Three projects: fast pure-logic unit tests; integration tests against a real kube-apiserver +
// etcd and a real SQS-protocol server started once by globalSetup; and rolling-cluster tests.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          setupFiles: ["test/support/fast-check-seed.ts"],
          environment: "node",
          // Generous: property tests and 5,000-object formatting share 2 cores with builds in CI.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/global-setup.ts"],
          setupFiles: ["test/support/fast-check-seed.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          pool: "forks",
          maxWorkers: 2,
        },
      },
      {
        // Tests that need real rollouts: the same plane plus controller-manager, scheduler and
        // KWOK (test/support/control-plane/rolling-cluster.ts). Only these pay for the controllers.
        test: {
          name: "rolling",
          include: ["test/rolling/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/rolling-global-setup.ts"],
          setupFiles: ["test/support/fast-check-seed.ts"],
          testTimeout: 180_000,
          hookTimeout: 600_000,
          pool: "forks",
          maxWorkers: 2,
        },
      },
    ],
  },
});
