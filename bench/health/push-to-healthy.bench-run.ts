/**
 * Push → healthy on the rolling cluster: a change to 10 Deployments × 3 replicas, pushed through
 * the real webhook, worker and health consumer (real controllers, scheduler, KWOK, fauxqs with
 * per-message delays, the GitHub fake). Per round: wall time from the push to the final status,
 * health checks run, API requests per check, and the milliseconds the worker and health handlers
 * ran (what Lambda would bill). Round 1 creates the Deployments and is reported apart; the
 * percentiles are over the update rounds after it (BENCH_ROUNDS of them, default 20).
 * Run: npx vitest run --config bench/health/vitest.config.ts
 */
import { loadavg } from "node:os";
import { it } from "vitest";
import { startBridge } from "../../test/support/bridge.ts";

/** Update rounds after the creating one: p90 of 20 is the 18th value, not the maximum. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
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
    round: number;
    load1: number;
    wallMs: number;
    checks: number;
    requestsPerCheck: number;
    workerMs: number;
    healthMs: number;
    billedMs: number;
  }[] = [];
  try {
    for (let round = 1; round <= ROUNDS + 1; round++) {
      const load1 = loadavg()[0] ?? 0;
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
        round,
        load1,
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
  const [create, ...updates] = rows;
  const stats = (pick: (r: (typeof rows)[number]) => number) => {
    const values = updates.map(pick);
    return { p50: pct(values, 50), p90: pct(values, 90), min: Math.min(...values), max: Math.max(...values) };
  };
  const summary = {
    updateRounds: updates.length,
    load1: { min: Math.min(...rows.map((r) => r.load1)), max: Math.max(...rows.map((r) => r.load1)) },
    // Round 1 creates the 10 Deployments (30 pods from nothing): not an update, so apart.
    createRound: create,
    pushToHealthyMs: stats((r) => r.wallMs),
    checksPerSync: stats((r) => r.checks),
    requestsPerCheck: stats((r) => r.requestsPerCheck),
    // Lambda bills the time inside handlers: the worker's invocation plus every health check's.
    billedMsPerSync: stats((r) => r.billedMs),
    handlerMsPerSync: stats((r) => r.workerMs + r.healthMs),
  };
  console.log(JSON.stringify({ rounds: rows, summary }, null, 2));
});
