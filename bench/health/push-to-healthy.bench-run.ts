/**
 * Push → healthy on the rolling cluster: a change to 10 Deployments × 3 replicas, pushed through
 * the real webhook, worker and health consumer (real controllers, scheduler, KWOK, fauxqs with
 * per-message delays, the GitHub fake). Per round: wall time from the push to the final status,
 * health checks run, API requests per check, and the milliseconds the worker and health handlers
 * ran (what Lambda would bill). Run: npx vitest run --config bench/health/vitest.config.ts
 */
import { it } from "vitest";
import { startBridge } from "../../test/support/bridge.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DEPLOYMENTS = 10;

function manifests(round: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < DEPLOYMENTS; i++) {
    files[`deploy/app-${i}.yaml`] = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      `  name: app-${i}`,
      "spec:",
      "  replicas: 3",
      "  selector:",
      "    matchLabels:",
      `      app: app-${i}`,
      "  template:",
      "    metadata:",
      "      labels:",
      `        app: app-${i}`,
      "    spec:",
      "      terminationGracePeriodSeconds: 0",
      "      containers:",
      "        - name: app",
      `          image: registry.example/app:${round}`,
      "",
    ].join("\n");
  }
  return files;
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

it("push → healthy, 10 Deployments × 3 replicas", async () => {
  const b = await startBridge({ health: { initialDelaySeconds: 2, maxDelaySeconds: 5 } });
  const rows: {
    wallMs: number;
    checks: number;
    requestsPerCheck: number;
    workerMs: number;
    healthMs: number;
    billedMs: number;
  }[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const t0 = Date.now();
      const billedBefore = b.handlerMilliseconds();
      const { sha } = await b.push(manifests(round));
      const w0 = Date.now();
      await b.drain();
      const workerMs = Date.now() - w0;
      const requestsBefore = b.healthRequests().reads;
      let checks = 0;
      let healthMs = 0;
      // Short polls (no receive wait) so the measured time is the handler's, not the long-poll's.
      await b.runHealthUntilFinal(sha, 300_000 - (Date.now() - t0), {
        waitSeconds: 0,
        idleMs: 200,
        onPoll(result, ms) {
          if (result.received === 0) return;
          checks += result.received;
          healthMs += ms;
        },
      });
      const wallMs = Date.now() - t0;
      const final = b.world.fake
        .statuses(sha)
        .filter((s) => s.context === "pullbridge/web")
        .at(-1);
      if (final?.state === "pending" || final === undefined)
        throw new Error(`round ${round}: not final after 300 s`);
      if (final.state !== "success") throw new Error(`round ${round}: ${final.state} ${final.description}`);
      rows.push({
        wallMs,
        checks,
        requestsPerCheck: (b.healthRequests().reads - requestsBefore) / Math.max(1, checks),
        workerMs,
        healthMs: Math.round(healthMs),
        billedMs:
          b.handlerMilliseconds().worker -
          billedBefore.worker +
          (b.handlerMilliseconds().health - billedBefore.health),
      });
    }
  } finally {
    await b.close();
  }
  const wall = rows.map((r) => r.wallMs);
  console.log(
    JSON.stringify(
      {
        rounds: rows,
        pushToHealthyMs: { p50: pct(wall, 50), p90: pct(wall, 90) },
        checksPerSync: {
          p50: pct(
            rows.map((r) => r.checks),
            50,
          ),
        },
        requestsPerCheck: {
          p50: pct(
            rows.map((r) => r.requestsPerCheck),
            50,
          ),
        },
        // Lambda bills the time inside handlers: the worker's invocation plus every health check's.
        billedMsPerSync: {
          p50: pct(
            rows.map((r) => r.billedMs),
            50,
          ),
          p90: pct(
            rows.map((r) => r.billedMs),
            90,
          ),
        },
        handlerMsPerSync: {
          p50: pct(
            rows.map((r) => r.workerMs + r.healthMs),
            50,
          ),
          p90: pct(
            rows.map((r) => r.workerMs + r.healthMs),
            90,
          ),
        },
      },
      null,
      2,
    ),
  );
});
