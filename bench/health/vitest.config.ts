import { defineConfig } from "vitest/config";

// The push → healthy benchmark runs inside vitest only to reuse the rolling cluster's globalSetup
// and the bridge; it asserts nothing and prints its figures (tests make no timing assertions).
export default defineConfig({
  test: {
    include: ["bench/health/*.bench-run.ts"],
    globalSetup: ["test/support/rolling-global-setup.ts"],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: "forks",
  },
});
