import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import type { DesiredObject, KubeObject } from "../../../lib/manifests/kube-object.ts";
import { ApplySetLabel, computeApplySetId, PullbridgeAnnotation } from "../../../lib/sync/applyset-id.ts";
import { computeDesiredSet } from "../../../lib/sync/compute-desired-set.ts";
import { computeSyncPlan, type LiveMember, matchesGit } from "../../../lib/sync/compute-sync-plan.ts";
import { Stage } from "../../../lib/sync/order-stages.ts";
import {
  aTarget,
  CLUSTER_ROLES,
  CONFIGMAPS,
  CRDS,
  configMap,
  crd,
  DEPLOYMENTS,
  desired,
  discoveryOf,
  NAMESPACES,
} from "../../factories/sync.ts";

const NS = "team-a";
const ID = computeApplySetId({ name: `pullbridge-${NS}`, namespace: NS, kind: "Secret", group: "" });
const discovery = discoveryOf([CONFIGMAPS, DEPLOYMENTS, NAMESPACES, CLUSTER_ROLES, CRDS]);

function plan(options: {
  desired: DesiredObject[];
  members?: KubeObject[];
  existing?: Map<string, KubeObject | undefined>;
  target?: Parameters<typeof aTarget>[1];
}) {
  const target = aTarget(NS, options.target ?? {});
  const planned = computeDesiredSet({ desired: options.desired, discovery, target, applySetId: ID });
  const members: LiveMember[] = (options.members ?? []).map((object) => ({ resource: CONFIGMAPS, object }));
  return computeSyncPlan({
    planned,
    members,
    existing: options.existing ?? new Map(),
    applySetId: ID,
    target,
  });
}

/** A live ConfigMap as pullbridge last applied it, with its managedFields. */
function member(
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): KubeObject {
  const fields: Record<string, unknown> = {
    "f:data": Object.fromEntries(Object.keys(data).map((k) => [`f:${k}`, {}])),
    "f:metadata": {
      "f:labels": { [`f:${ApplySetLabel.partOf}`]: {} },
      ...(annotations
        ? { "f:annotations": Object.fromEntries(Object.keys(annotations).map((k) => [`f:${k}`, {}])) }
        : {}),
    },
  };
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      labels: { [ApplySetLabel.partOf]: ID },
      ...(annotations ? { annotations } : {}),
      managedFields: [
        {
          manager: "pullbridge",
          operation: "Apply",
          apiVersion: "v1",
          fieldsType: "FieldsV1",
          fieldsV1: fields,
        },
      ],
    },
    data,
  };
}

const actions = (p: ReturnType<typeof plan>) =>
  p.entries.map((e) => [e.action, "planned" in e ? e.planned.object.metadata.name : e.live.metadata.name]);

describe("computeDesiredSet", () => {
  it("defaults the namespace, adds the part-of label, strips server-populated metadata and finds the stage", () => {
    // Prepare
    const cm = configMap(undefined, "c");
    cm.metadata.resourceVersion = "12";
    cm.metadata.creationTimestamp = null;

    // Act
    const [planned] = computeDesiredSet({
      desired: [desired(cm)],
      discovery,
      target: aTarget(NS),
      applySetId: ID,
    });

    // Assess
    expect(planned?.object.metadata).toEqual({
      name: "c",
      namespace: NS,
      labels: { [ApplySetLabel.partOf]: ID },
    });
    expect(planned?.stage).toBe(Stage.namespaced);
    expect(planned?.key).toBe(`/ConfigMap/${NS}/c`);
  });

  it("refuses cluster-scoped objects unless the policy allows them, naming file and line", () => {
    // Prepare
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "r" } };

    // Act
    const attempt = () =>
      computeDesiredSet({
        desired: [desired(role, "rbac/role.yaml")],
        discovery,
        target: aTarget(NS),
        applySetId: ID,
      });

    // Assess
    expect(attempt).toThrow(SyncRefusedError);
    expect(attempt).toThrow(
      /ClusterRole\.rbac\.authorization\.k8s\.io r \(rbac\/role\.yaml:\d+:1\): cluster-scoped .*\(policy\.clusterScoped is false/,
    );
  });

  it("refuses kinds the cluster does not serve unless a CRD in the same set defines them", () => {
    // Prepare
    const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } };
    const target = aTarget(NS, { policy: { clusterScoped: true } });

    // Act
    const alone = () => computeDesiredSet({ desired: [desired(widget)], discovery, target, applySetId: ID });
    const withCrd = computeDesiredSet({
      desired: [desired(widget), desired(crd("example.com", "Widget", "widgets"))],
      discovery,
      target,
      applySetId: ID,
    });

    // Assess
    expect(alone).toThrow(/example\.com\/v1 Widget is not served by the cluster/);
    expect(withCrd.map((p) => [p.groupKind, p.stage, p.awaitsCrd, p.object.metadata.namespace])).toEqual([
      ["Widget.example.com", Stage.namespaced, true, NS],
      ["CustomResourceDefinition.apiextensions.k8s.io", Stage.crds, false, undefined],
    ]);
  });

  it("refuses denied kinds and namespaces outside the policy, reporting how many more", () => {
    // Prepare
    const target = aTarget(NS, { policy: { deniedKinds: ["ConfigMap"] } });

    // Act
    const attempt = () =>
      computeDesiredSet({
        desired: [desired(configMap(NS, "a")), desired(configMap("elsewhere", "b"))],
        discovery,
        target,
        applySetId: ID,
      });

    // Assess
    expect(attempt).toThrow(/kind ConfigMap is denied by the target's policy \(and 1 more\)/);
  });
});

describe("computeSyncPlan", () => {
  it("classifies create, unchanged, update and prune", () => {
    // Prepare
    const members = [member("same", { a: "1" }), member("edited", { a: "1" }), member("gone", { a: "1" })];

    // Act
    const result = plan({
      desired: [
        desired(configMap(NS, "same", { a: "1" })),
        desired(configMap(NS, "edited", { a: "2" })),
        desired(configMap(NS, "new")),
      ],
      members,
    });

    // Assess
    expect(actions(result)).toEqual([
      ["unchanged", "same"],
      ["update", "edited"],
      ["create", "new"],
      ["prune", "gone"],
    ]);
    expect(result.ambiguous).toBe(0);
  });

  it("matchesGit is the plan's unchanged: as applied yes; edited, ambiguous or being deleted no", () => {
    // Prepare
    const target = aTarget(NS, {});
    const wanted = (data: Record<string, string>) =>
      computeDesiredSet({
        desired: [desired(configMap(NS, "x", data))],
        discovery,
        target,
        applySetId: ID,
      })[0]?.object as KubeObject;
    const live = member("x", { a: "1" });
    const deleting = { ...live, metadata: { ...live.metadata, deletionTimestamp: "2026-12-03T00:00:00Z" } };

    // Act
    const verdicts = {
      same: matchesGit(wanted({ a: "1" }), live),
      edited: matchesGit(wanted({ a: "2" }), live),
      added: matchesGit(wanted({ a: "1", b: "2" }), live),
      deleting: matchesGit(wanted({ a: "1" }), deleting),
    };

    // Assess
    expect(verdicts).toEqual({ same: true, edited: false, added: false, deleting: false });
  });

  it("takes a member the read phase already found unchanged as unchanged, from its identity alone", () => {
    // Prepare
    const target = aTarget(NS, {});
    const planned = computeDesiredSet({
      desired: [desired(configMap(NS, "same", { a: "1" }))],
      discovery,
      target,
      applySetId: ID,
    });
    const stub: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "same", namespace: NS, labels: { [ApplySetLabel.partOf]: ID } },
    };

    // Act
    const result = computeSyncPlan({
      planned,
      members: [{ resource: CONFIGMAPS, object: stub, unchanged: true }],
      existing: new Map(),
      applySetId: ID,
      target,
    });

    // Assess
    expect(actions(result)).toEqual([["unchanged", "same"]]);
  });

  it("refuses to adopt an existing object unless the target allows it", () => {
    // Prepare
    const existing = new Map([[`/ConfigMap/${NS}/legacy`, configMap(NS, "legacy")]]);

    // Act
    const refused = () => plan({ desired: [desired(configMap(NS, "legacy"))], existing });
    const adopted = plan({ desired: [desired(configMap(NS, "legacy"))], existing, target: { adopt: true } });

    // Assess
    expect(refused).toThrow(
      /ConfigMap team-a\/legacy already exists and is not managed by target team-a; set adopt: true/,
    );
    expect(adopted.entries[0]).toMatchObject({ action: "update", adopted: true, reason: "adopted" });
  });

  it("refuses an empty desired set that would prune everything, unless allowEmpty", () => {
    // Prepare
    const members = [member("a", { a: "1" })];

    // Act
    const refused = () => plan({ desired: [], members });
    const allowed = plan({ desired: [], members, target: { allowEmpty: true } });

    // Assess
    expect(refused).toThrow(/is empty and pruning would delete all 1 objects/);
    expect(actions(allowed)).toEqual([["prune", "a"]]);
  });

  it("never prunes an object without our part-of label, one annotated prune: disabled, or when prune is off", () => {
    // Prepare
    const foreign = member("foreign", { a: "1" });
    foreign.metadata.labels = { [ApplySetLabel.partOf]: "applyset-other-v1" };
    const pinned = member("pinned", { a: "1" }, { [PullbridgeAnnotation.prune]: "disabled" });
    const plain = member("plain", { a: "1" });

    // Act
    const guarded = plan({ desired: [desired(configMap(NS, "x"))], members: [foreign, pinned, plain] });
    const noPrune = plan({
      desired: [desired(configMap(NS, "x"))],
      members: [plain],
      target: { prune: false },
    });

    // Assess
    expect(actions(guarded)).toEqual([
      ["create", "x"],
      ["skip", "pinned"],
      ["prune", "plain"],
    ]);
    expect(actions(noPrune)).toEqual([
      ["create", "x"],
      ["skip", "plain"],
    ]);
  });

  it("never prunes a member that is an ApplySet parent (its id label or tooling annotation), whatever the prune policy", () => {
    // Prepare: a member relabelled as a parent by hand, and one that is some tool's parent.
    const relabelled = member("relabelled", { a: "1" });
    relabelled.metadata.labels = { ...relabelled.metadata.labels, [ApplySetLabel.id]: "applyset-x-v1" };
    const tooled = member("tooled", { a: "1" }, { "applyset.kubernetes.io/tooling": "kubectl/v1.36.3" });

    // Act
    const result = plan({ desired: [desired(configMap(NS, "x"))], members: [relabelled, tooled] });

    // Assess
    expect(actions(result)).toEqual([
      ["create", "x"],
      ["skip", "relabelled"],
      ["skip", "tooled"],
    ]);
    expect(result.entries[1]).toMatchObject({
      reason:
        "it is an ApplySet parent (applyset.kubernetes.io/id=applyset-x-v1); pullbridge never prunes an inventory",
    });
  });

  it("sends ambiguous comparisons to a dry-run check and counts them", () => {
    // Prepare
    const live = member("q", { cpu: "500m" });

    // Act
    const result = plan({ desired: [desired(configMap(NS, "q", { cpu: "0.5" }))], members: [live] });

    // Assess
    expect(result.entries[0]).toMatchObject({ action: "check", path: ".data.cpu" });
    expect(result.ambiguous).toBe(1);
  });
});
