import { describe, expect, it } from "vitest";
import { parseTargetsConfig, targetSchema } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";

const base = { name: "web", repo: "acme/deploy", cluster: "prod", namespace: "web", path: "apps/web" };

describe("render options of a target", () => {
  it("default to auto rendering and no extra watch paths, with the plain-only settings left unset", () => {
    // Act
    const target = targetSchema.parse(base);

    // Assess
    expect(target).toMatchObject({ render: "auto", watch: [] });
    // Unset, not defaulted: a setting the target's engine never reads is refused only when written.
    expect(target.helm).toBeUndefined();
    expect(target.include).toBeUndefined();
    expect(target.exclude).toBeUndefined();
    expect(target.recursive).toBeUndefined();
  });

  it("accept Helm release, namespace, values files and inline values", () => {
    // Act
    const target = targetSchema.parse({
      ...base,
      render: "helm",
      helm: {
        releaseName: "shop",
        namespace: "shop",
        valuesFiles: ["./apps/web/values-prod.yaml"],
        values: { a: { b: 1 } },
      },
      watch: ["apps/base/"],
    });

    // Assess
    expect(target.helm).toEqual({
      releaseName: "shop",
      namespace: "shop",
      valuesFiles: ["apps/web/values-prod.yaml"],
      values: { a: { b: 1 } },
    });
    expect(target.watch).toEqual(["apps/base"]);
  });

  it.each([
    [{ render: "jsonnet" }, "targets[0].render"],
    [{ helm: { valuesFiles: ["../secrets.yaml"] } }, "targets[0].helm.valuesFiles[0]"],
    [{ watch: ["../other-repo"] }, "targets[0].watch[0]"],
    [{ helm: { releaseName: "x", repo: "https://charts.example.com" } }, "targets[0].helm"],
  ])("refuse %j, naming %s", (extra, field) => {
    // Act
    const attempt = () =>
      parseTargetsConfig({
        version: 1,
        clusters: { prod: { type: "eks", name: "prod" } },
        targets: [{ ...base, ...extra }],
      });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(new RegExp(`^${field.replace(/[[\].]/g, "\\$&")}`));
  });
});
