/**
 * Live objects as the API server (and its controllers) write them, for health unit tests: a
 * Deployment mid-rollout, a crash-looping Pod, a failed Job… Each factory takes the fields that
 * matter for the case and fills in the rest.
 */
import type { KubeObject } from "../../lib/manifests/kube-object.ts";

type Cond = { type: string; status: "True" | "False" | "Unknown"; reason?: string; message?: string };

export const NS = "team-a";

function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, namespace: NS, uid: `uid-${name}`, generation: 1, ...extra };
}

/** A Deployment whose controller has observed it, with the given replica counts and conditions. */
export function liveDeployment(
  options: {
    name?: string;
    replicas?: number;
    updated?: number;
    ready?: number;
    available?: number;
    total?: number;
    generation?: number;
    observedGeneration?: number | undefined;
    conditions?: Cond[];
    paused?: boolean;
    revision?: string;
  } = {},
): KubeObject {
  const want = options.replicas ?? 3;
  const ready = options.ready ?? want;
  const name = options.name ?? "web";
  const done = ready === want;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(name, {
      generation: options.generation ?? 1,
      annotations: { "deployment.kubernetes.io/revision": options.revision ?? "1" },
    }),
    spec: {
      replicas: want,
      selector: { matchLabels: { app: name } },
      ...(options.paused ? { paused: true } : {}),
    },
    status: {
      ...("observedGeneration" in options && options.observedGeneration === undefined
        ? {}
        : { observedGeneration: options.observedGeneration ?? options.generation ?? 1 }),
      replicas: options.total ?? want,
      updatedReplicas: options.updated ?? want,
      readyReplicas: ready,
      availableReplicas: options.available ?? ready,
      conditions: options.conditions ?? [
        {
          type: "Available",
          status: done ? "True" : "False",
          reason: done ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        },
        {
          type: "Progressing",
          status: "True",
          reason: done ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
        },
      ],
    },
  };
}

/** The ReplicaSet a Deployment created for `revision`, labelled with its pod-template-hash. */
export function liveReplicaSet(options: {
  deployment: KubeObject;
  hash: string;
  revision: string;
  replicas?: number;
  ready?: number;
}): KubeObject {
  const app = options.deployment.metadata.name;
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      ...meta(`${app}-${options.hash}`),
      labels: { app, "pod-template-hash": options.hash },
      annotations: { "deployment.kubernetes.io/revision": options.revision },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: app,
          uid: options.deployment.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      replicas: options.replicas ?? 3,
      selector: { matchLabels: { app, "pod-template-hash": options.hash } },
    },
    status: {
      observedGeneration: 1,
      replicas: options.replicas ?? 3,
      fullyLabeledReplicas: options.replicas ?? 3,
      readyReplicas: options.ready ?? options.replicas ?? 3,
      availableReplicas: options.ready ?? options.replicas ?? 3,
    },
  };
}

type ContainerState =
  | { running: true; ready: boolean }
  | { waiting: string; message?: string }
  | { terminated: string; exitCode: number; message?: string };

/** A Pod with one container `app` in the given state. */
export function livePod(options: {
  name: string;
  labels?: Record<string, string>;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  state?: ContainerState;
  conditions?: Cond[];
}): KubeObject {
  const state = options.state ?? { running: true, ready: true };
  const ready = "running" in state && state.ready;
  const containerState =
    "running" in state
      ? { running: { startedAt: "2026-01-01T00:00:00Z" } }
      : "waiting" in state
        ? { waiting: { reason: state.waiting, ...(state.message ? { message: state.message } : {}) } }
        : {
            terminated: {
              reason: state.terminated,
              exitCode: state.exitCode,
              ...(state.message ? { message: state.message } : {}),
            },
          };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: options.name, namespace: NS, uid: `uid-${options.name}`, labels: options.labels ?? {} },
    spec: { containers: [{ name: "app", image: "example/app:1" }] },
    status: {
      phase: options.phase ?? ("running" in state ? "Running" : "Pending"),
      conditions: options.conditions ?? [
        { type: "PodScheduled", status: "True" },
        {
          type: "Ready",
          status: ready ? "True" : "False",
          ...(ready ? {} : { reason: "ContainersNotReady" }),
        },
      ],
      containerStatuses: [
        { name: "app", image: "example/app:1", ready, restartCount: 0, state: containerState },
      ],
    },
  };
}

/** Any object with `status.conditions` (a Job, a CRD, a custom resource…). */
export function withConditions(
  apiVersion: string,
  kind: string,
  conditions: Cond[],
  extra: {
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  } = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { ...meta(kind.toLowerCase()), ...(extra.metadata ?? {}) },
    spec: extra.spec ?? {},
    status: { conditions, ...(extra.status ?? {}) },
  };
}

/** A Warning event about an object. */
export function warningEvent(options: {
  about: KubeObject;
  reason: string;
  message: string;
  at: string;
}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${options.about.metadata.name}.${options.at}`, namespace: NS },
    type: "Warning",
    reason: options.reason,
    message: options.message,
    lastTimestamp: options.at,
    involvedObject: { kind: options.about.kind, name: options.about.metadata.name, namespace: NS },
  };
}
