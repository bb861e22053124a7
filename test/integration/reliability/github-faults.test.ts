/**
 * Reliability: GitHub answering 5xx, a primary rate limit (403, remaining 0), a secondary rate
 * limit (403 + Retry-After), 429 and dropped connections for a while — on the branch-head lookup,
 * the tarball, the commit status and the check run (the REST calls one sync makes). Each push must end with the
 * right final status and cluster state, and never more than one check run per commit. The
 * GitHub fake answers the injected failures before it does anything, like GitHub refusing a call.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import type { InjectedFailure } from "../../support/github-fake/github-fake.ts";
import { kubeConfigFor } from "../../support/kube.ts";

const STATUS = "POST /repos/{owner}/{repo}/statuses/{sha}";
const CHECK_CREATE = "POST /repos/{owner}/{repo}/check-runs";
const TARBALL = "GET /repos/{owner}/{repo}/tarball/{ref}";
const HEAD = "GET /repos/{owner}/{repo}/git/ref/{ref}";

/** One "while": a route failing `times` times in a row with one kind of failure. */
const SCENARIOS: ReadonlyArray<{ name: string; route: string; failure: InjectedFailure; times: number }> = [
  { name: "5xx on the status", route: STATUS, failure: { kind: "server-error", status: 502 }, times: 3 },
  { name: "5xx on the tarball", route: TARBALL, failure: { kind: "server-error", status: 503 }, times: 4 },
  { name: "dropped connections on the branch head", route: HEAD, failure: { kind: "network" }, times: 3 },
  {
    name: "primary rate limit on the status",
    route: STATUS,
    failure: { kind: "primary-rate-limit", resetInSeconds: 1 },
    times: 2,
  },
  {
    name: "secondary rate limit on the check run",
    route: CHECK_CREATE,
    failure: { kind: "secondary-rate-limit", retryAfter: 1 },
    times: 2,
  },
  {
    name: "429 on the check run",
    route: CHECK_CREATE,
    failure: { kind: "too-many-requests", retryAfter: 1 },
    times: 2,
  },
  {
    name: "5xx on the check run, longer than in-process retries",
    route: CHECK_CREATE,
    failure: { kind: "server-error" },
    times: 6,
  },
  {
    name: "secondary rate limit (429) on the status, longer than in-process retries",
    route: STATUS,
    failure: { kind: "secondary-rate-limit", retryAfter: 1, status: 429 },
    times: 5,
  },
];

let bridge: Bridge;
beforeAll(async () => {
  bridge = await startBridge({ maxReceiveCount: 10 });
});
afterAll(async () => {
  await bridge?.close();
});

describe("GitHub failing for a while", () => {
  it("every push ends with the right status and cluster state, and one check run per commit", async () => {
    // Prepare
    const results: Array<{
      name: string;
      injected: number;
      attempts: number;
      final: string | undefined;
      /** failure/error statuses posted on the way: a transient GitHub problem is not the commit's fault. */
      failures: number;
      checkRuns: number;
      color: string | undefined;
    }> = [];
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);

    // Act
    for (const [i, scenario] of SCENARIOS.entries()) {
      const color = `c${i}`;
      const calls = bridge.world.fake.restCalls().length;
      bridge.world.fake.failNext(scenario.route, scenario.failure, scenario.times);
      const { sha } = await bridge.push({
        "deploy/app.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  color: ${color}\n`,
      });
      const polls = await bridge.drain();
      const live = await core.readNamespacedConfigMap({ namespace: bridge.namespace, name: "app" });
      results.push({
        name: scenario.name,
        injected: bridge.world.fake
          .restCalls()
          .slice(calls)
          .filter((r) => r.injected).length,
        attempts: polls.reduce((n, p) => n + p.received, 0),
        final: bridge.world.fake.statuses(sha).at(-1)?.state,
        failures: bridge.world.fake
          .statuses(sha)
          .filter((st) => st.state === "failure" || st.state === "error").length,
        checkRuns: bridge.world.fake.checkRuns(sha).length,
        color: live.data?.color,
      });
    }
    for (const r of results) {
      console.log(
        `[reliability] github ${r.name}: ${r.injected} failures answered, ${r.attempts} job attempt(s), final ${r.final}, ${r.checkRuns} check run(s)`,
      );
    }

    // Assess
    expect(
      results.map((r) => ({ name: r.name, final: r.final, checkRuns: r.checkRuns, color: r.color })),
    ).toEqual(SCENARIOS.map((s, i) => ({ name: s.name, final: "success", checkRuns: 1, color: `c${i}` })));
    expect(results.map((r) => r.injected)).toEqual(SCENARIOS.map((s) => s.times));
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
