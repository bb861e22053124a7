import { defineConfig } from "vitest/config";

// The lifecycle benchmark runs inside vitest only to reuse the rolling cluster's globalSetup and
// the bridge; it asserts nothing but that each sync succeeded, and prints its figures.
export default defineConfig({
  test: {
    include: ["bench/lifecycle/*.bench-run.ts"],
    globalSetup: ["test/support/rolling-global-setup.ts"],
    testTimeout: 1_800_000,
    hookTimeout: 900_000,
    pool: "forks",
  },
});
