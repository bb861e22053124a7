/**
 * Push → healthy for a 3-wave app with a pre-sync Job on the rolling cluster (real
 * controller-manager, scheduler, KWOK completing the Job's pod, fauxqs with per-message delays, the
 * GitHub fake): pre-sync Job (Argo CD PreSync, generateName) → wave 0 StatefulSet db → wave 1
 * Deployment api → wave 2 Deployment web, each step advanced through the queues. Per round: wall
 * time from the push to the final status, and the milliseconds the worker and health handlers ran
 * for the whole sequence (what Lambda would bill). Run: npx vitest run --config bench/lifecycle/vitest.config.ts
 */
import { it } from "vitest";
import { startBridge } from "../../test/support/bridge.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function workload(kind: "StatefulSet" | "Deployment", name: string, wave: number, round: number): string {
  return [
    "apiVersion: apps/v1",
    `kind: ${kind}`,
    "metadata:",
    `  name: ${name}`,
    "  annotations:",
    `    argocd.argoproj.io/sync-wave: "${wave}"`,
    "spec:",
    "  replicas: 2",
    ...(kind === "StatefulSet" ? [`  serviceName: ${name}`] : []),
    "  selector:",
    "    matchLabels:",
    `      app: ${name}`,
    "  template:",
    "    metadata:",
    "      labels:",
    `        app: ${name}`,
    "    spec:",
    "      terminationGracePeriodSeconds: 0",
    "      containers:",
    "        - name: app",
    `          image: registry.example/${name}:${round}`,
    "",
  ].join("\n");
}

function manifests(round: number): Record<string, string> {
  return {
    "deploy/migrate.yaml": [
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      "  generateName: migrate-",
      "  annotations:",
      "    argocd.argoproj.io/hook: PreSync",
      "    argocd.argoproj.io/hook-delete-policy: HookSucceeded",
      "spec:",
      "  backoffLimit: 0",
      "  template:",
      "    spec:",
      "      restartPolicy: Never",
      "      containers:",
      "        - name: migrate",
      `          image: registry.example/migrate:${round}`,
      "",
    ].join("\n"),
    "deploy/db.yaml": workload("StatefulSet", "db", 0, round),
    "deploy/api.yaml": workload("Deployment", "api", 1, round),
    "deploy/web.yaml": workload("Deployment", "web", 2, round),
  };
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

it("push → healthy, pre-sync Job + 3 waves", async () => {
  const b = await startBridge({ health: { initialDelaySeconds: 2, maxDelaySeconds: 5 } });
  const rows: { wallMs: number; workerMs: number; healthMs: number; billedMs: number; status: string }[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const t0 = Date.now();
      const before = b.handlerMilliseconds();
      const { sha } = await b.push(manifests(round));
      // Short polls (no receive wait) so the wall time is the sequence's, not the long-polls'.
      await b.settle(sha, { timeoutMs: 600_000, waitSeconds: 0, idleMs: 200 });
      const wallMs = Date.now() - t0;
      const final = b.world.fake
        .statuses(sha)
        .filter((s) => s.context === "pullbridge/web")
        .at(-1);
      if (final?.state !== "success") {
        throw new Error(`round ${round}: ${final?.state ?? "no status"} ${final?.description ?? ""}`);
      }
      const after = b.handlerMilliseconds();
      const workerMs = after.worker - before.worker;
      const healthMs = after.health - before.health;
      rows.push({
        wallMs,
        workerMs: Math.round(workerMs),
        healthMs: Math.round(healthMs),
        billedMs: Math.round(workerMs + healthMs),
        status: final.description ?? "",
      });
    }
  } finally {
    await b.close();
  }
  const figure = (pick: (r: (typeof rows)[number]) => number) => ({
    p50: pct(rows.map(pick), 50),
    p90: pct(rows.map(pick), 90),
  });
  console.log(
    JSON.stringify(
      {
        rounds: rows,
        pushToHealthyMs: figure((r) => r.wallMs),
        // Lambda bills the time inside handlers: every step's worker invocation plus every health check.
        billedMsPerSync: figure((r) => r.billedMs),
        workerMsPerSync: figure((r) => r.workerMs),
        healthMsPerSync: figure((r) => r.healthMs),
      },
      null,
      2,
    ),
  );
});
