import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { SECRET_MASK, SECRET_MASK_CHANGED } from "../../../lib/manifests/mask-secret-data.ts";
import { renderObjectDiff } from "../../../lib/manifests/render-object-diff.ts";
import { renderObjectYaml } from "../../../lib/manifests/render-object-yaml.ts";
import { aConfigMap, aDeployment, aSecret } from "../../factories/manifests.ts";

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

describe("renderObjectYaml", () => {
  it("puts apiVersion, kind and metadata (name, namespace) first, then sorts every map's keys", () => {
    // Prepare
    const object = {
      spec: { z: 1, a: { m: 2, b: 3 } },
      metadata: { labels: { b: "2", a: "1" }, namespace: "team-a", name: "x" },
      kind: "Thing",
      apiVersion: "example.com/v1",
      data: { k: "v" },
    };

    // Act
    const text = renderObjectYaml(object);

    // Assess
    expect(text).toBe(
      [
        "apiVersion: example.com/v1",
        "kind: Thing",
        "metadata:",
        "  name: x",
        "  namespace: team-a",
        "  labels:",
        '    a: "1"',
        '    b: "2"',
        "data:",
        "  k: v",
        "spec:",
        "  a:",
        "    b: 3",
        "    m: 2",
        "  z: 1",
        "",
      ].join("\n"),
    );
  });

  it("quotes strings a YAML 1.1 reader would misread, and never folds long lines", () => {
    // Prepare
    const object = aConfigMap("q", { data: { flag: "yes", mode: "0644", long: "x".repeat(200) } });

    // Act
    const text = renderObjectYaml(object);

    // Assess
    expect(text).toContain('flag: "yes"');
    expect(text).toContain('mode: "0644"');
    expect(text).toContain(`long: ${"x".repeat(200)}\n`);
  });
});

describe("renderObjectDiff", () => {
  it("renders a unified diff with a header naming the object and three lines of context", () => {
    // Prepare
    const live = aDeployment("web", { namespace: "team-a", replicas: 2 });
    const desired = aDeployment("web", { namespace: "team-a", replicas: 5 });

    // Act
    const diff = renderObjectDiff(live, desired);

    // Assess
    expect(diff).toBe(
      [
        "--- live Deployment.apps team-a/web",
        "+++ desired Deployment.apps team-a/web",
        "@@ -4,7 +4,7 @@",
        "   name: web",
        "   namespace: team-a",
        " spec:",
        "-  replicas: 2",
        "+  replicas: 5",
        "   selector:",
        "     matchLabels:",
        "       app: web",
        "",
      ].join("\n"),
    );
  });

  it("returns an empty string when both sides render the same, whatever their key order", () => {
    // Prepare
    const live = aConfigMap("same", { data: { a: "1", b: "2" } });
    const desired = aConfigMap("same", { data: { b: "2", a: "1" } });

    // Act
    const diff = renderObjectDiff(live, desired);

    // Assess
    expect(diff).toBe("");
  });

  it("renders creations and prunes against an absent side, with custom labels", () => {
    // Prepare
    const object = aConfigMap("new");

    // Act
    const created = renderObjectDiff(undefined, object, { beforeLabel: "base", afterLabel: "pr" });
    const pruned = renderObjectDiff(object, undefined);

    // Assess
    expect(created.split("\n").slice(0, 3)).toEqual([
      "--- base (none)",
      "+++ pr ConfigMap new",
      "@@ -0,0 +1,6 @@",
    ]);
    expect(pruned.split("\n").slice(0, 3)).toEqual([
      "--- live ConfigMap new",
      "+++ desired (none)",
      "@@ -1,6 +0,0 @@",
    ]);
    expect(
      pruned
        .split("\n")
        .slice(3, -1)
        .every((line) => line.startsWith("-")),
    ).toBe(true);
  });

  it("honours the context option", () => {
    // Prepare
    const live = aDeployment("web", { replicas: 1 });
    const desired = aDeployment("web", { replicas: 9 });

    // Act
    const diff = renderObjectDiff(live, desired, { context: 0 });

    // Assess
    expect(diff.split("\n").slice(2)).toEqual(["@@ -6,1 +6,1 @@", "-  replicas: 1", "+  replicas: 9", ""]);
  });
});

describe("renderObjectDiff: Secret data is masked", () => {
  it("never shows a Secret value, in data or stringData, raw or base64, on either side", () => {
    // Prepare
    const live = aSecret("db", {
      namespace: "team-a",
      data: { password: base64("old-hunter2-value"), user: base64("admin-user-name") },
    });
    const desired = aSecret("db", {
      namespace: "team-a",
      stringData: { password: "new-hunter3-value", token: "tok-abcdef-123456" },
      data: { user: base64("admin-user-name") },
    });
    const secrets = ["old-hunter2-value", "admin-user-name", "new-hunter3-value", "tok-abcdef-123456"];

    // Act
    const diff = renderObjectDiff(live, desired, { context: 100 });

    // Assess
    for (const secret of secrets) {
      expect(diff).not.toContain(secret);
      expect(diff).not.toContain(base64(secret));
    }
    expect(diff).toContain(`+  password: "${SECRET_MASK_CHANGED}"`);
    expect(diff).toContain(`   user: "${SECRET_MASK}"`);
    expect(diff).toContain(`+  token: "${SECRET_MASK}"`);
  });

  it("shows no change for a value moved from data to stringData unchanged, and (changed) when it differs", () => {
    // Prepare
    const live = aSecret("s", { data: { same: base64("value-one"), differs: base64("value-two") } });
    const desired = aSecret("s", { stringData: { same: "value-one", differs: "value-2" } });

    // Act
    const diff = renderObjectDiff(live, desired, { context: 0 });

    // Assess
    expect(diff).not.toMatch(/^[-+] {2}same/m);
    expect(diff).toContain(`+  differs: "${SECRET_MASK_CHANGED}"`);
  });

  it("renders nothing for a Secret whose values did not change", () => {
    // Prepare
    const live = aSecret("s", { data: { key: base64("unchanged-value") } });
    const desired = aSecret("s", { data: { key: base64("unchanged-value") } });

    // Act
    const diff = renderObjectDiff(live, desired);

    // Assess
    expect(diff).toBe("");
  });

  it("marks a changed value with a line change even when nothing else changes", () => {
    // Prepare
    const live = aSecret("s", { data: { key: base64("first-value") } });
    const desired = aSecret("s", { data: { key: base64("second-value") } });

    // Act
    const diff = renderObjectDiff(live, desired, { context: 0 });

    // Assess
    expect(diff.split("\n").slice(3, 5)).toEqual([
      `-  key: "${SECRET_MASK}"`,
      `+  key: "${SECRET_MASK_CHANGED}"`,
    ]);
  });

  it("masks kubectl's last-applied-configuration annotation, which embeds the Secret data", () => {
    // Prepare
    const leaked = aSecret("s", { data: { key: base64("embedded-secret") } });
    const live = {
      ...leaked,
      metadata: {
        ...leaked.metadata,
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(leaked) },
      },
    };

    // Act
    const diff = renderObjectDiff(live, undefined);

    // Assess
    expect(diff).not.toContain(base64("embedded-secret"));
    expect(diff).toContain(`kubectl.kubernetes.io/last-applied-configuration: "${SECRET_MASK}"`);
  });

  it("leaves ConfigMaps and Secret-named kinds of other groups readable", () => {
    // Prepare
    const configMap = aConfigMap("visible", { data: { key: "plain-config" } });
    const external = {
      ...aSecret("ext", { data: { key: "not-a-core-secret" } }),
      apiVersion: "example.com/v1",
    };

    // Act
    const diff = renderObjectDiff(undefined, configMap) + renderObjectDiff(undefined, external);

    // Assess
    expect(diff).toContain("plain-config");
    expect(diff).toContain("not-a-core-secret");
  });
});

describe("renderObjectYaml with a `__proto__` key (found by fast-check)", () => {
  it("keeps the key as data instead of setting the prototype", () => {
    // Prepare
    const object = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "odd" },
      data: { nested: JSON.parse('{"__proto__": null}') as unknown },
    } as KubeObject;

    // Act
    const text = renderObjectYaml(object);

    // Assess
    expect(text).toContain("__proto__: null");
  });
});

describe("renderObjectYaml with a `<<` key (found by fast-check)", () => {
  it("quotes it, so a YAML 1.1 reader keeps it as data instead of a merge key", () => {
    // Prepare
    const object = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "odd" },
      data: { nested: { "<<": "", b: "c" } },
    } as unknown as KubeObject;

    // Act
    const text = renderObjectYaml(object);

    // Assess
    expect(text).toContain('!!str "<<": ""');
  });
});
