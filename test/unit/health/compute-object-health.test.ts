import { describe, expect, it } from "vitest";
import { computeObjectHealth } from "../../../lib/health/compute-object-health.ts";
import { HealthStatus } from "../../../lib/health/health-status.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { liveDeployment, livePod, NS, withConditions } from "../../factories/health.ts";

type Row = {
  name: string;
  object: KubeObject | undefined;
  status: string;
  message?: RegExp;
  reason?: string;
};

const deploymentRows: Row[] = [
  { name: "rolled out", object: liveDeployment(), status: HealthStatus.Current, message: /3\/3 ready/ },
  {
    name: "controller has not observed the new generation",
    object: liveDeployment({ generation: 2, observedGeneration: 1 }),
    status: HealthStatus.InProgress,
    message: /generation 2/,
  },
  {
    name: "no status yet",
    object: liveDeployment({ observedGeneration: undefined }),
    status: HealthStatus.InProgress,
    message: /observe/,
  },
  {
    name: "1 of 3 ready",
    object: liveDeployment({ ready: 1 }),
    status: HealthStatus.InProgress,
    message: /^1\/3 ready/,
  },
  {
    name: "rollout not started on all replicas",
    object: liveDeployment({ updated: 1 }),
    status: HealthStatus.InProgress,
    message: /1\/3 updated/,
  },
  {
    name: "old replicas still terminating",
    object: liveDeployment({ total: 4 }),
    status: HealthStatus.InProgress,
    message: /1 old replicas pending termination/,
  },
  {
    name: "ready but not yet available (minReadySeconds)",
    object: liveDeployment({ available: 2 }),
    status: HealthStatus.InProgress,
    message: /2\/3 available/,
  },
  {
    name: "progress deadline exceeded",
    object: liveDeployment({
      ready: 0,
      conditions: [
        {
          type: "Progressing",
          status: "False",
          reason: "ProgressDeadlineExceeded",
          message: 'ReplicaSet "web-5d8f" has timed out progressing.',
        },
      ],
    }),
    status: HealthStatus.Failed,
    reason: "ProgressDeadlineExceeded",
    message: /timed out progressing/,
  },
  {
    name: "paused",
    object: liveDeployment({ updated: 1, paused: true }),
    status: HealthStatus.InProgress,
    reason: "Paused",
  },
  {
    name: "quota refuses pods",
    object: liveDeployment({
      ready: 0,
      conditions: [
        { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "exceeded quota" },
      ],
    }),
    status: HealthStatus.InProgress,
    reason: "FailedCreate",
    message: /exceeded quota/,
  },
];

const sts = (spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "db", namespace: NS, generation: 1 },
  spec,
  status: { observedGeneration: 1, ...status },
});

const statefulSetRows: Row[] = [
  {
    name: "StatefulSet rolled out",
    object: sts(
      { replicas: 2 },
      {
        replicas: 2,
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 2,
        currentRevision: "db-1",
        updateRevision: "db-1",
      },
    ),
    status: HealthStatus.Current,
  },
  {
    name: "StatefulSet creating replicas",
    object: sts({ replicas: 3 }, { replicas: 1, readyReplicas: 1 }),
    status: HealthStatus.InProgress,
    message: /1\/3 created/,
  },
  {
    name: "StatefulSet waiting for its update revision",
    object: sts(
      { replicas: 2 },
      { replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentRevision: "db-1", updateRevision: "db-2" },
    ),
    status: HealthStatus.InProgress,
    message: /revision db-2/,
  },
  {
    name: "StatefulSet partition rollout done",
    object: sts(
      { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } },
      { replicas: 3, readyReplicas: 3, updatedReplicas: 1, currentRevision: "db-1", updateRevision: "db-2" },
    ),
    status: HealthStatus.Current,
    message: /partitioned/,
  },
  {
    name: "StatefulSet with OnDelete",
    object: sts({ replicas: 3, updateStrategy: { type: "OnDelete" } }, { replicas: 3 }),
    status: HealthStatus.Current,
  },
];

const ds = (status: Record<string, unknown>): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "DaemonSet",
  metadata: { name: "agent", namespace: NS, generation: 1 },
  spec: {},
  status: { observedGeneration: 1, ...status },
});

const daemonSetRows: Row[] = [
  {
    name: "DaemonSet on every node",
    object: ds({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
      numberReady: 3,
    }),
    status: HealthStatus.Current,
  },
  {
    name: "DaemonSet not yet scheduled",
    object: ds({}),
    status: HealthStatus.InProgress,
    message: /schedule/,
  },
  {
    name: "DaemonSet pods not ready",
    object: ds({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
      numberReady: 1,
    }),
    status: HealthStatus.InProgress,
    message: /1\/3 ready/,
  },
];

const rs = (ready: number): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web-1", namespace: NS, generation: 1 },
  spec: { replicas: 2 },
  status: {
    observedGeneration: 1,
    replicas: 2,
    fullyLabeledReplicas: 2,
    readyReplicas: ready,
    availableReplicas: ready,
  },
});

const job = (conditions: Parameters<typeof withConditions>[2], status: Record<string, unknown> = {}) =>
  withConditions("batch/v1", "Job", conditions, { spec: { completions: 1 }, status });

const otherRows: Row[] = [
  { name: "ReplicaSet ready", object: rs(2), status: HealthStatus.Current },
  { name: "ReplicaSet not ready", object: rs(1), status: HealthStatus.InProgress, message: /1\/2/ },
  { name: "Pod running and ready", object: livePod({ name: "p" }), status: HealthStatus.Current },
  {
    name: "Pod running, not ready",
    object: livePod({ name: "p", state: { running: true, ready: false } }),
    status: HealthStatus.InProgress,
    message: /not ready/,
  },
  {
    name: "Pod in CrashLoopBackOff",
    object: livePod({
      name: "p",
      phase: "Running",
      state: { waiting: "CrashLoopBackOff", message: "back-off 40s restarting failed container" },
    }),
    status: HealthStatus.Failed,
    reason: "CrashLoopBackOff",
  },
  {
    name: "Pod in ImagePullBackOff",
    object: livePod({
      name: "p",
      state: { waiting: "ImagePullBackOff", message: "repository does not exist" },
    }),
    status: HealthStatus.Failed,
    reason: "ImagePullBackOff",
    message: /repository does not exist/,
  },
  {
    name: "Pod whose first pull failed (kubelet retries once before backing off)",
    object: livePod({ name: "p", state: { waiting: "ErrImagePull" } }),
    status: HealthStatus.InProgress,
    reason: "ErrImagePull",
  },
  {
    name: "Pod that cannot be scheduled",
    object: livePod({
      name: "p",
      state: { waiting: "ContainerCreating" },
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/3 nodes are available",
        },
      ],
    }),
    status: HealthStatus.InProgress,
    reason: "Unschedulable",
  },
  {
    name: "Pod succeeded",
    object: livePod({ name: "p", phase: "Succeeded", state: { terminated: "Completed", exitCode: 0 } }),
    status: HealthStatus.Current,
  },
  {
    name: "Pod failed",
    object: livePod({ name: "p", phase: "Failed", state: { terminated: "Error", exitCode: 2 } }),
    status: HealthStatus.Failed,
    reason: "Error",
  },
  { name: "Job complete", object: job([{ type: "Complete", status: "True" }]), status: HealthStatus.Current },
  {
    name: "Job still running (kstatus says Current; pullbridge waits for Complete)",
    object: job([], { active: 1 }),
    status: HealthStatus.InProgress,
    message: /0\/1 completed, 1 active/,
  },
  {
    name: "Job failed",
    object: job([
      {
        type: "Failed",
        status: "True",
        reason: "BackoffLimitExceeded",
        message: "Job has reached the specified backoff limit",
      },
    ]),
    status: HealthStatus.Failed,
    reason: "BackoffLimitExceeded",
  },
  {
    name: "Job about to fail (FailureTarget)",
    object: job([{ type: "FailureTarget", status: "True", reason: "BackoffLimitExceeded" }]),
    status: HealthStatus.Failed,
  },
  {
    name: "PVC bound",
    object: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      status: { phase: "Bound" },
    },
    status: HealthStatus.Current,
  },
  {
    name: "PVC pending",
    object: {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      status: { phase: "Pending" },
    },
    status: HealthStatus.InProgress,
  },
  {
    name: "ClusterIP Service",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { type: "ClusterIP", clusterIP: "10.0.0.7" },
    },
    status: HealthStatus.Current,
  },
  {
    name: "LoadBalancer without an address",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { type: "LoadBalancer", clusterIP: "10.0.0.7" },
      status: { loadBalancer: {} },
    },
    status: HealthStatus.InProgress,
  },
  {
    name: "LoadBalancer with an address",
    object: {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { type: "LoadBalancer", clusterIP: "10.0.0.7" },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } },
    },
    status: HealthStatus.Current,
  },
  {
    name: "CRD established",
    object: withConditions("apiextensions.k8s.io/v1", "CustomResourceDefinition", [
      { type: "Established", status: "True" },
    ]),
    status: HealthStatus.Current,
  },
  {
    name: "CRD names refused",
    object: withConditions("apiextensions.k8s.io/v1", "CustomResourceDefinition", [
      { type: "NamesAccepted", status: "False", reason: "ListKindConflict" },
    ]),
    status: HealthStatus.Failed,
  },
  {
    name: "CRD not yet established",
    object: withConditions("apiextensions.k8s.io/v1", "CustomResourceDefinition", []),
    status: HealthStatus.InProgress,
  },
  {
    name: "Namespace active",
    object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" }, status: { phase: "Active" } },
    status: HealthStatus.Current,
  },
  {
    name: "Namespace terminating",
    object: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "a" },
      status: { phase: "Terminating" },
    },
    status: HealthStatus.Terminating,
  },
  {
    name: "object being deleted",
    object: {
      ...liveDeployment(),
      metadata: { ...liveDeployment().metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
    },
    status: HealthStatus.Terminating,
  },
  { name: "absent", object: undefined, status: HealthStatus.NotFound },
  {
    name: "custom resource with Ready=True",
    object: withConditions("example.com/v1", "Widget", [{ type: "Ready", status: "True" }]),
    status: HealthStatus.Current,
  },
  {
    name: "custom resource with Ready=False",
    object: withConditions("example.com/v1", "Widget", [
      { type: "Ready", status: "False", reason: "Provisioning", message: "waiting for disk" },
    ]),
    status: HealthStatus.InProgress,
    message: /Provisioning: waiting for disk/,
  },
  {
    name: "custom resource Stalled",
    object: withConditions("example.com/v1", "Widget", [
      { type: "Stalled", status: "True", reason: "InvalidSpec", message: "size must be positive" },
    ]),
    status: HealthStatus.Failed,
    reason: "InvalidSpec",
  },
  {
    name: "custom resource Reconciling",
    object: withConditions("example.com/v1", "Widget", [
      { type: "Reconciling", status: "True", reason: "Progressing" },
    ]),
    status: HealthStatus.InProgress,
  },
  {
    name: "custom resource without conditions",
    object: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: {} },
    status: HealthStatus.Current,
  },
];

describe("computeObjectHealth (kstatus rules)", () => {
  it.each([...deploymentRows, ...statefulSetRows, ...daemonSetRows, ...otherRows])(
    "$name → $status",
    (row) => {
      // Act
      const health = computeObjectHealth(row.object);

      // Assess
      expect(health.status).toBe(row.status);
      if (row.message) expect(health.message).toMatch(row.message);
      if (row.reason) expect(health.reason).toBe(row.reason);
    },
  );
});
