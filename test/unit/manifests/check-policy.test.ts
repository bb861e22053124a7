import { describe, expect, it } from "vitest";
import { checkPolicy, kindMatches, manifestPolicyOf } from "../../../lib/manifests/check-policy.ts";
import { aConfigMap, aDeployment, aManifestPolicy } from "../../factories/manifests.ts";

describe("kindMatches", () => {
  it("matches a bare Kind in every group and Kind.group only in that group, ignoring case", () => {
    // Prepare
    const deployment = aDeployment();
    const customDeployment = { ...aDeployment(), apiVersion: "example.com/v1" };
    const configMap = aConfigMap();

    // Act / Assess
    expect(kindMatches("Deployment", deployment)).toBe(true);
    expect(kindMatches("Deployment", customDeployment)).toBe(true);
    expect(kindMatches("Deployment.apps", deployment)).toBe(true);
    expect(kindMatches("deployment.APPS", deployment)).toBe(true);
    expect(kindMatches("Deployment.apps", customDeployment)).toBe(false);
    expect(kindMatches("ConfigMap", configMap)).toBe(true);
    expect(kindMatches("ConfigMap.apps", configMap)).toBe(false);
    expect(kindMatches("Config", configMap)).toBe(false);
  });
});

describe("checkPolicy", () => {
  it("lets deniedKinds win over kinds", () => {
    // Act
    const issues = checkPolicy(
      aConfigMap(),
      aManifestPolicy({ kinds: ["ConfigMap"], deniedKinds: ["ConfigMap"] }),
    );

    // Assess
    expect(issues).toEqual([
      { path: ["kind"], reason: "kind ConfigMap is denied for this target (policy.deniedKinds: ConfigMap)" },
    ]);
  });

  it("refuses everything when policy.kinds is an empty list", () => {
    // Act
    const issues = checkPolicy(aConfigMap(), aManifestPolicy({ kinds: [] }));

    // Assess
    expect(issues.map((i) => i.reason)).toEqual([
      "kind ConfigMap is not allowed for this target (policy.kinds: none)",
    ]);
  });

  it("accepts an object exactly at the size limit", () => {
    // Prepare
    const object = aConfigMap();
    const size = new TextEncoder().encode(JSON.stringify(object)).byteLength;

    // Act
    const atLimit = checkPolicy(object, aManifestPolicy({ maxObjectBytes: size }));
    const overLimit = checkPolicy(object, aManifestPolicy({ maxObjectBytes: size - 1 }));

    // Assess
    expect(atLimit).toEqual([]);
    expect(overLimit.map((i) => i.path)).toEqual([[]]);
  });
});

describe("manifestPolicyOf", () => {
  it("defaults the allowed namespaces to the target's namespace", () => {
    // Prepare
    const target = {
      namespace: "team-a",
      policy: { clusterScoped: false, deniedKinds: ["Secret"], maxObjectBytes: 2048 },
    };

    // Act
    const policy = manifestPolicyOf(target);

    // Assess
    expect(policy).toEqual({
      namespaces: ["team-a"],
      kinds: undefined,
      deniedKinds: ["Secret"],
      maxObjectBytes: 2048,
    });
  });

  it("keeps configured namespaces and kinds", () => {
    // Prepare
    const target = {
      namespace: "team-a",
      policy: {
        namespaces: ["*"],
        kinds: ["ConfigMap"],
        clusterScoped: true,
        deniedKinds: [],
        maxObjectBytes: 1,
      },
    };

    // Act
    const policy = manifestPolicyOf(target);

    // Assess
    expect(policy).toMatchObject({ namespaces: ["*"], kinds: ["ConfigMap"] });
  });
});
