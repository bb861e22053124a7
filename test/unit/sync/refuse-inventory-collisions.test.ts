import { describe, expect, it } from "vitest";
import { SyncRefusedError } from "../../../lib/errors.ts";
import {
  type DesiredObject,
  type KubeObject,
  objectKey,
  parseApiVersion,
} from "../../../lib/manifests/kube-object.ts";
import { ApplySetAnnotation, ApplySetLabel, computeApplySetId } from "../../../lib/sync/applyset-id.ts";
import { computeDesiredSet } from "../../../lib/sync/compute-desired-set.ts";
import { refuseInventoryCollisions } from "../../../lib/sync/refuse-inventory-collisions.ts";
import {
  aTarget,
  CONFIGMAPS,
  configMap,
  desired,
  discoveryOf,
  SECRETS,
  secret,
} from "../../factories/sync.ts";

const WIDGETS = {
  group: "example.com",
  version: "v1",
  kind: "Widget",
  resource: "widgets",
  namespaced: true,
};
const discovery = discoveryOf([CONFIGMAPS, SECRETS, WIDGETS]);
const web = aTarget("apps", { name: "web", policy: { namespaces: ["apps", "shop"] } });
const shop = aTarget("shop", { name: "shop" });

function check(options: {
  desired: DesiredObject[];
  live?: KubeObject[];
  targets?: ReturnType<typeof aTarget>[];
}): () => void {
  const planned = computeDesiredSet({ desired: options.desired, discovery, target: web, applySetId: "id" });
  const live = new Map((options.live ?? []).map((o) => [objectKey(o), o] as const));
  return () => refuseInventoryCollisions({ planned, live, target: web, targets: options.targets ?? [web] });
}

function refusal(run: () => void): SyncRefusedError {
  try {
    run();
  } catch (error) {
    if (error instanceof SyncRefusedError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

/** A live ApplySet parent as kubectl leaves it (`kubectl apply --applyset=configmap/<name>`). */
function kubectlParent(object: KubeObject): KubeObject {
  const { name, namespace = "" } = object.metadata;
  const { group } = parseApiVersion(object.apiVersion);
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { [ApplySetLabel.id]: computeApplySetId({ name, namespace, kind: object.kind, group }) },
      annotations: { [ApplySetAnnotation.tooling]: "kubectl/v1.36.3" },
    },
  };
}

describe("refuseInventoryCollisions", () => {
  it("refuses the target's own ApplySet parent, defaulted into its namespace, naming file:line", () => {
    // Prepare
    const own = { ...secret("apps", "pullbridge-web", { a: "b" }), metadata: { name: "pullbridge-web" } };
    const set = [desired(configMap("apps", "fine")), desired(own, "deploy/inventory.yaml")];

    // Act
    const error = refusal(check({ desired: set }));

    // Assess
    expect(error.message).toBe(
      `Secret apps/pullbridge-web (deploy/inventory.yaml:${set[1]?.source.line}:1): this is target web's own ApplySet parent, where pullbridge keeps the target's inventory; a manifest must not define it (rename the object)`,
    );
    expect(error.object).toBe("Secret apps/pullbridge-web");
    expect(error.source?.file).toBe("deploy/inventory.yaml");
    expect(error.refusals).toEqual([
      expect.objectContaining({ object: "Secret apps/pullbridge-web", by: "inventory" }),
    ]);
  });

  it("refuses another configured target's parent even before that target ever synced (nothing live)", () => {
    // Prepare
    const set = [desired(secret("shop", "pullbridge-shop", { a: "b" }), "deploy/takeover.yaml")];

    // Act
    const error = refusal(check({ desired: set, targets: [web, shop] }));

    // Assess
    expect(error.message).toContain("Secret shop/pullbridge-shop (deploy/takeover.yaml:");
    expect(error.message).toContain("this is the ApplySet parent of target shop");
  });

  it("refuses live ApplySet parents of any tooling and kind, found in what the read phase already holds", () => {
    // Prepare
    const widget = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "set", namespace: "apps" },
    };
    const set = [
      desired(configMap("apps", "kubectl-set"), "deploy/a.yaml"),
      desired(widget, "deploy/b.yaml"),
      desired(configMap("apps", "plain"), "deploy/c.yaml"),
    ];
    const live = [
      kubectlParent(configMap("apps", "kubectl-set")),
      kubectlParent(widget),
      configMap("apps", "plain"),
    ];

    // Act
    const error = refusal(check({ desired: set, live }));

    // Assess
    expect(error.message).toMatch(
      /^ConfigMap apps\/kubectl-set \(deploy\/a\.yaml:\d+:1\): the live object is an ApplySet parent \(applyset\.kubernetes\.io\/id=applyset-.*-v1, applyset\.kubernetes\.io\/tooling: kubectl\/v1\.36\.3\); writing it would break that ApplySet's inventory, so pullbridge never writes or adopts it \(rename the object\) \(and 1 more\)$/,
    );
    expect(error.refusals.map((r) => [r.object, r.source?.file])).toEqual([
      ["ConfigMap apps/kubectl-set", "deploy/a.yaml"],
      ["Widget.example.com apps/set", "deploy/b.yaml"],
    ]);
  });

  it("a parent of the same name in another namespace, or of another kind, is no collision", () => {
    // Prepare: a ConfigMap pullbridge-shop (the parent is a Secret), a Secret pullbridge-shop in apps (shop's is in shop).
    const set = [
      desired(configMap("shop", "pullbridge-shop")),
      desired(secret("apps", "pullbridge-shop", { a: "b" })),
      desired(secret("apps", "pullbridge-other", { a: "b" })),
    ];

    // Act
    const run = check({ desired: set, targets: [web, shop], live: [secret("apps", "pullbridge-other", {})] });

    // Assess
    expect(run).not.toThrow();
  });
});
