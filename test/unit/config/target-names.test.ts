import { describe, expect, it } from "vitest";
import { targetSchema } from "../../../lib/config/targets.ts";

const base = { name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web" };

describe("names in a target", () => {
  it("accepts a namespace of 63 characters, the longest DNS label Kubernetes allows", () => {
    // Prepare
    const namespace = "n".repeat(63);

    // Act
    const target = targetSchema.parse({ ...base, namespace, helm: { namespace } });

    // Assess
    expect(target.namespace).toBe(namespace);
    expect(target.helm?.namespace).toBe(namespace);
  });

  it.each([
    ["a namespace of 64 characters", { namespace: "n".repeat(64) }, "namespace"],
    ["a Helm namespace of 64 characters", { helm: { namespace: "n".repeat(64) } }, "helm.namespace"],
    ["a target name of 53 characters", { name: "t".repeat(53) }, "name"],
  ])("refuses %s", (_, fields, path) => {
    // Act
    const result = targetSchema.safeParse({ ...base, ...fields });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual([path]);
  });
});
