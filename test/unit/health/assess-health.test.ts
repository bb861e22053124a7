import { describe, expect, it } from "vitest";
import {
  assessHealth,
  type HealthSubject,
  subjectKey,
  subjectOf,
} from "../../../lib/health/assess-health.ts";
import { compileHealthRules } from "../../../lib/health/cel-health-rules.ts";
import { computeObjectHealth } from "../../../lib/health/compute-object-health.ts";
import { explainWorkload, matchesSelector } from "../../../lib/health/explain-workload.ts";
import {
  formatFailedDescription,
  formatHealthTable,
  formatTimeoutDescription,
  formatWaitingDescription,
} from "../../../lib/health/format-health.ts";
import { HealthStatus } from "../../../lib/health/health-status.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import {
  liveDeployment,
  livePod,
  liveReplicaSet,
  NS,
  warningEvent,
  withConditions,
} from "../../factories/health.ts";

const none = { pods: [], replicaSets: [], events: [] };

function liveMap(objects: KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((o) => [subjectKey(subjectOf(o)), o]));
}

describe("explainWorkload", () => {
  it("names the pod and its container reason, and fails a Deployment whose new pods cannot pull their image", () => {
    // Prepare
    const web = liveDeployment({ ready: 1, revision: "2" });
    const rs = liveReplicaSet({ deployment: web, hash: "7f9c", revision: "2" });
    const pod = livePod({
      name: "web-7f9c-x2k9q",
      labels: { app: "web", "pod-template-hash": "7f9c" },
      state: { waiting: "ImagePullBackOff", message: "repository does not exist" },
    });

    // Act
    const health = explainWorkload(web, computeObjectHealth(web), {
      pods: [pod],
      replicaSets: [rs],
      events: [],
    });

    // Assess
    expect(health).toEqual({
      status: HealthStatus.Failed,
      reason: "ImagePullBackOff",
      message: '1/3 ready, pod web-7f9c-x2k9q: ImagePullBackOff "repository does not exist"',
    });
  });

  it("ignores a crash-looping pod of the old revision while the fix rolls out", () => {
    // Prepare
    const web = liveDeployment({ ready: 2, updated: 3, revision: "3" });
    const oldRs = liveReplicaSet({ deployment: web, hash: "old1", revision: "2" });
    const newRs = liveReplicaSet({ deployment: web, hash: "new1", revision: "3" });
    const oldPod = livePod({
      name: "web-old1-a",
      labels: { app: "web", "pod-template-hash": "old1" },
      phase: "Running",
      state: { waiting: "CrashLoopBackOff" },
    });
    const newPod = livePod({
      name: "web-new1-b",
      labels: { app: "web", "pod-template-hash": "new1" },
      state: { running: true, ready: false },
    });

    // Act
    const health = explainWorkload(web, computeObjectHealth(web), {
      pods: [oldPod, newPod],
      replicaSets: [oldRs, newRs],
      events: [],
    });

    // Assess
    expect(health.status).toBe(HealthStatus.InProgress);
    expect(health.message).toBe("2/3 ready, pod web-new1-b: not ready");
  });

  it("keeps a Job in progress while its pod failures are retried (the Job's Failed condition decides)", () => {
    // Prepare
    const job = withConditions("batch/v1", "Job", [], {
      spec: { selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u1" } }, completions: 1 },
      status: { failed: 1 },
    });
    const pod = livePod({
      name: "migrate-abc",
      labels: { "batch.kubernetes.io/controller-uid": "u1" },
      phase: "Failed",
      state: { terminated: "Error", exitCode: 1 },
    });

    // Act
    const health = explainWorkload(job, computeObjectHealth(job), {
      pods: [pod],
      replicaSets: [],
      events: [],
    });

    // Assess
    expect(health.status).toBe(HealthStatus.InProgress);
    expect(health.message).toContain("pod migrate-abc: Error");
  });

  it("a failed Job says its own reason and which container exited how", () => {
    // Prepare
    const job = withConditions(
      "batch/v1",
      "Job",
      [
        {
          type: "Failed",
          status: "True",
          reason: "BackoffLimitExceeded",
          message: "Job has reached the specified backoff limit",
        },
      ],
      {
        spec: { selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u1" } } },
        status: { failed: 1 },
      },
    );
    const pod = livePod({
      name: "migrate-abc",
      labels: { "batch.kubernetes.io/controller-uid": "u1" },
      phase: "Failed",
      state: { terminated: "Error", exitCode: 1 },
    });

    // Act
    const health = explainWorkload(job, computeObjectHealth(job), {
      pods: [pod],
      replicaSets: [],
      events: [],
    });

    // Assess
    expect(health).toMatchObject({
      status: HealthStatus.Failed,
      message: "BackoffLimitExceeded — container app exited 1",
    });
  });

  it("uses the latest Warning event when no pod exists to explain it", () => {
    // Prepare
    const web = liveDeployment({ ready: 0, revision: "1" });
    const rs = liveReplicaSet({ deployment: web, hash: "abc", revision: "1", ready: 0 });
    const events = [
      warningEvent({ about: rs, reason: "FailedCreate", message: "old", at: "2026-01-01T00:00:00Z" }),
      warningEvent({
        about: rs,
        reason: "FailedCreate",
        message: 'pods "web-abc-1" is forbidden: exceeded quota',
        at: "2026-01-01T00:01:00Z",
      }),
    ];

    // Act
    const health = explainWorkload(web, computeObjectHealth(web), { pods: [], replicaSets: [rs], events });

    // Assess
    expect(health.message).toBe('0/3 ready, FailedCreate: pods "web-abc-1" is forbidden: exceeded quota');
  });

  it.each([
    [{ matchLabels: { app: "web" } }, { app: "web", x: "1" }, true],
    [{ matchLabels: { app: "web" } }, { app: "api" }, false],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }, { tier: "b" }, true],
    [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["a"] }] }, { tier: "a" }, false],
    [{ matchExpressions: [{ key: "tier", operator: "Exists" }] }, {}, false],
    [{ matchExpressions: [{ key: "tier", operator: "DoesNotExist" }] }, {}, true],
    [{}, { app: "web" }, false],
  ])("matchesSelector(%j, %j) is %s", (selector, labels, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
});

describe("CEL health rules", () => {
  const [rule] = compileHealthRules([
    {
      apiVersion: "example.com/v1",
      kind: "Widget",
      current: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')",
      failed: "status.conditions.exists(c, c.type == 'Ready' && c.status == 'False' && c.reason == 'Broken')",
    },
  ]);
  const widget = (status: string, reason: string) =>
    withConditions("example.com/v1", "Widget", [
      { type: "Ready", status: status as "True", reason, message: "m" },
    ]);

  it.each([
    ["True", "Ok", HealthStatus.Current],
    ["False", "Broken", HealthStatus.Failed],
    ["False", "Provisioning", HealthStatus.InProgress],
  ])("Ready=%s reason %s → %s", (status, reason, expected) => {
    expect(rule?.evaluate(widget(status, reason))?.status).toBe(expected);
  });

  it("treats an expression over a field the controller has not written as not matching", () => {
    // Prepare
    const fresh: KubeObject = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } };

    // Act
    const health = rule?.evaluate(fresh);

    // Assess
    expect(health?.status).toBe(HealthStatus.InProgress);
    expect(health?.message).toMatch(/no health rule matched yet \(failed: .*conditions/);
  });

  it("refuses an invalid expression, naming the rule and field", () => {
    expect(() =>
      compileHealthRules([{ apiVersion: "example.com/v1", kind: "Widget", current: "status.ready ==" }]),
    ).toThrow(/checks\[0\]\.current: invalid CEL expression/);
  });
});

describe("assessHealth", () => {
  const subjects: HealthSubject[] = [
    { group: "", kind: "ConfigMap", namespace: NS, name: "settings" },
    { group: "apps", kind: "Deployment", namespace: NS, name: "web" },
    { group: "batch", kind: "Job", namespace: NS, name: "job" },
  ];

  it("is current only when every object is", () => {
    // Prepare
    const live = liveMap([
      liveDeployment(),
      withConditions("batch/v1", "Job", [{ type: "Complete", status: "True" }]),
    ]);

    // Act
    const result = assessHealth({ subjects, live, context: none });

    // Assess
    expect(result.verdict).toBe("current");
    expect(result.rows.map((r) => r.health.status)).toEqual(["Current", "Current", "Current"]);
  });

  it("fails as soon as one object failed, while others still progress", () => {
    // Prepare
    const live = liveMap([
      liveDeployment({ ready: 1 }),
      withConditions("batch/v1", "Job", [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }]),
    ]);

    // Act
    const result = assessHealth({ subjects, live, context: none });

    // Assess
    expect(result.verdict).toBe("failed");
    expect(formatFailedDescription({ rows: result.rows, defaultNamespace: NS })).toBe(
      "Job job: BackoffLimitExceeded",
    );
  });

  it("waits for an object that is not there (yet), without failing", () => {
    // Act
    const result = assessHealth({ subjects, live: liveMap([liveDeployment()]), context: none });

    // Assess
    expect(result.verdict).toBe("in-progress");
    expect(result.rows[2]?.health.status).toBe(HealthStatus.NotFound);
  });

  it("describes what it waits for, what timed out, and the table", () => {
    // Prepare
    const live = liveMap([
      liveDeployment({ ready: 1 }),
      withConditions("batch/v1", "Job", [], { spec: { completions: 1 }, status: { active: 1 } }),
    ]);
    const { rows } = assessHealth({ subjects, live, context: none });

    // Act
    const waiting = formatWaitingDescription({ applied: 12, rows, defaultNamespace: NS });
    const timeout = formatTimeoutDescription({ rows, timeoutSeconds: 300, defaultNamespace: NS });
    const table = formatHealthTable(rows);

    // Assess
    expect(waiting).toBe(
      "applied 12 objects; waiting for 2 (Deployment web 1/3 ready; Job job 0/1 completed, 1 active, 0 failed)",
    );
    expect(timeout).toBe(
      "not healthy after 5m 0s: Deployment web 1/3 ready; Job job 0/1 completed, 1 active, 0 failed",
    );
    expect(table.split("\n")[2]).toMatch(
      /^\| `Deployment\.apps team-a\/web` \| ⏳ InProgress \| 1\/3 ready \|$/,
    );
    expect(table.split("\n").at(-1)).toMatch(/ConfigMap team-a\/settings.*Current/);
  });

  it("keeps a status line within 140 characters, counting what it left out", () => {
    // Prepare
    const many: HealthSubject[] = Array.from({ length: 20 }, (_, i) => ({
      group: "apps",
      kind: "Deployment",
      namespace: NS,
      name: `service-${i}`,
    }));
    const live = liveMap(many.map((s) => liveDeployment({ name: s.name, ready: 0 })));
    const { rows } = assessHealth({ subjects: many, live, context: none });

    // Act
    const waiting = formatWaitingDescription({ applied: 20, rows, defaultNamespace: NS });

    // Assess
    expect(waiting.length).toBeLessThanOrEqual(140);
    expect(waiting).toMatch(
      /^applied 20 objects; waiting for 20 \(Deployment service-0 0\/3 ready; .*\(\+\d+ more\)\)$/,
    );
  });

  it("lets a target's CEL rule decide for its custom resource", () => {
    // Prepare
    const rules = compileHealthRules([
      { apiVersion: "example.com/v1", kind: "Widget", current: "status.phase == 'Done'" },
    ]);
    const widget: KubeObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: NS },
      status: { phase: "Done" },
    };
    const crSubjects: HealthSubject[] = [{ group: "example.com", kind: "Widget", namespace: NS, name: "w" }];

    // Act
    const result = assessHealth({ subjects: crSubjects, live: liveMap([widget]), context: none, rules });

    // Assess
    expect(result.verdict).toBe("current");
  });
});
