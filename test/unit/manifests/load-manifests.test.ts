import { describe, expect, it } from "vitest";
import type { ManifestSetError } from "../../../lib/errors.ts";
import { objectKey } from "../../../lib/manifests/kube-object.ts";
import {
  aConfigMap,
  aDeployment,
  aNamespace,
  aYamlStream,
  documentLine,
  lineOf,
  loadTree,
  loadTreeErrors,
} from "../../factories/manifests.ts";

const where = (error: ManifestSetError) => error.errors.map((e) => ({ ...e.location, reason: e.reason }));

describe("loadManifests: reading a tree", () => {
  it("reads every document of multi-document files, in path then document order, with their locations", () => {
    // Prepare
    const stream = aYamlStream(aDeployment("web"), aConfigMap("first"));
    const files = {
      "deploy/b.yaml": aYamlStream(aConfigMap("second", { namespace: "team-a" })),
      "deploy/a.yml": stream,
    };

    // Act
    const loaded = loadTree(files, { targetPath: "deploy" });

    // Assess
    expect(loaded.map((d) => [d.object.metadata.name, d.source])).toEqual([
      ["web", { file: "deploy/a.yml", document: 0, line: 2, column: 1 }],
      ["first", { file: "deploy/a.yml", document: 1, line: documentLine(stream, 1), column: 1 }],
      ["second", { file: "deploy/b.yaml", document: 0, line: 2, column: 1 }],
    ]);
    expect(loaded[0]?.object).toEqual(aDeployment("web"));
  });

  it("keeps objects as written: no namespace is added when none is written", () => {
    // Prepare
    const files = { "cm.yaml": aYamlStream(aConfigMap("settings")) };

    // Act
    const [loaded] = loadTree(files);

    // Assess
    expect(loaded?.object.metadata).toEqual({ name: "settings" });
    expect(Object.hasOwn(loaded?.object.metadata ?? {}, "namespace")).toBe(false);
  });

  it("skips empty documents, comment-only documents and null documents, but counts them in the document index", () => {
    // Prepare
    const text = [
      "---",
      "# nothing here",
      "---",
      "null",
      "---",
      "",
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: x",
      "",
    ].join("\n");

    // Act
    const loaded = loadTree({ "x.yaml": text });

    // Assess
    expect(loaded).toHaveLength(1);
    expect(loaded[0]?.source).toEqual({ file: "x.yaml", document: 3, line: 8, column: 1 });
  });

  it("loads nothing from empty and comment-only files", () => {
    // Act
    const loaded = loadTree({ "empty.yaml": "", "comments.yaml": "# TODO\n" });

    // Assess
    expect(loaded).toEqual([]);
  });

  it("reads JSON files, tab-indented ones included", () => {
    // Prepare
    const json = JSON.stringify(aConfigMap("from-json"), null, "\t");

    // Act
    const loaded = loadTree({ "cm.json": json });

    // Assess
    expect(loaded.map((d) => d.object)).toEqual([aConfigMap("from-json")]);
    expect(loaded[0]?.source).toEqual({ file: "cm.json", document: 0, line: 1, column: 1 });
  });

  it("expands kind: List and typed *List kinds into their items, located at each item", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "- apiVersion: v1",
      "  kind: ConfigMap",
      "  metadata: {name: one}",
      "- apiVersion: v1",
      "  kind: ConfigMapList",
      "  items:",
      "  - apiVersion: v1",
      "    kind: ConfigMap",
      "    metadata: {name: two}",
      "",
    ].join("\n");

    // Act
    const loaded = loadTree({ "list.yaml": text });

    // Assess
    expect(loaded.map((d) => [d.object.metadata.name, d.source.line, d.source.column])).toEqual([
      ["one", 4, 3],
      ["two", 10, 5],
    ]);
  });

  it("keeps an object whose kind merely ends in List when it is not a list of objects", () => {
    // Prepare
    const allowList = {
      apiVersion: "example.com/v1",
      kind: "AllowList",
      metadata: { name: "ips" },
      spec: { cidrs: ["10.0.0.0/8"] },
    };

    // Act
    const loaded = loadTree({ "allow.yaml": aYamlStream(allowList) });

    // Assess
    expect(loaded.map((d) => d.object)).toEqual([allowList]);
  });

  it("reads YAML the way kubectl does (YAML 1.1): octal modes, yes/no booleans, timestamps kept as text", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: modes",
      "  annotations: {built: 2024-01-02}",
      "mode: 0644",
      "enabled: yes",
      "",
    ].join("\n");

    // Act
    const [loaded] = loadTree({ "m.yaml": text });

    // Assess
    expect(loaded?.object).toMatchObject({
      mode: 0o644,
      enabled: true,
      metadata: { annotations: { built: "2024-01-02" } },
    });
  });
  it("keeps e0, E5 and . as strings, as kubectl does, where YAML 1.1 floats need a digit before the exponent", () => {
    // Prepare: keys and values the yaml package's 1.1 schema read as NaN (`e0: x` became the key "NaN").
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: exponents",
      "data:",
      "  e0: x",
      "  E5: z",
      "  tier: e12",
      "  dot: .",
      "  sci: 1e3",
      "  half: .5",
      "  neg: -2.5E-1",
      "",
    ].join("\n");

    // Act
    const [loaded] = loadTree({ "m.yaml": text });

    // Assess
    expect(loaded?.object).toMatchObject({
      data: { e0: "x", E5: "z", tier: "e12", dot: ".", sci: 1000, half: 0.5, neg: -0.25 },
    });
  });
});

describe("loadManifests: which files count", () => {
  it("reads only .yaml, .yml and .json files under the target path, skipping hidden files and directories", () => {
    // Prepare
    const files = {
      "deploy/prod/app.yaml": aYamlStream(aConfigMap("app")),
      "deploy/prod/nested/more.yml": aYamlStream(aConfigMap("more")),
      "deploy/prod/data.json": JSON.stringify(aConfigMap("data")),
      "deploy/prod/README.md": "# not a manifest",
      "deploy/prod/app.yaml.bak": "not: [valid",
      "deploy/prod/.hidden.yaml": "not: [valid",
      "deploy/prod/.secrets/creds.yaml": "not: [valid",
      "deploy/production/other.yaml": aYamlStream(aConfigMap("other-target")),
      "deploy/staging/app.yaml": aYamlStream(aConfigMap("staging")),
      ".github/workflows/ci.yml": "on: push\n",
    };

    // Act
    const loaded = loadTree(files, { targetPath: "deploy/prod" });

    // Assess
    expect(loaded.map((d) => d.source.file)).toEqual([
      "deploy/prod/app.yaml",
      "deploy/prod/data.json",
      "deploy/prod/nested/more.yml",
    ]);
  });

  it("reads the whole repository for target path `.`, still without hidden directories such as .github", () => {
    // Prepare
    const files = {
      "app.yaml": aYamlStream(aConfigMap("root")),
      "sub/cm.yaml": aYamlStream(aConfigMap("sub")),
      ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    };

    // Act
    const loaded = loadTree(files, { targetPath: "." });

    // Assess
    expect(loaded.map((d) => d.source.file)).toEqual(["app.yaml", "sub/cm.yaml"]);
  });

  it("accepts a target path written with ./ and a trailing slash", () => {
    // Prepare
    const files = {
      "deploy/app.yaml": aYamlStream(aConfigMap("app")),
      "other/x.yaml": aYamlStream(aConfigMap("x")),
    };

    // Act
    const loaded = loadTree(files, { targetPath: "./deploy/" });

    // Assess
    expect(loaded.map((d) => d.source.file)).toEqual(["deploy/app.yaml"]);
  });

  it("refuses a manifest file that is not UTF-8 text, naming the file", () => {
    // Prepare
    const files = { "deploy/blob.yaml": new Uint8Array([0xff, 0xfe, 0x00, 0x41]) };

    // Act
    const error = loadTreeErrors(files);

    // Assess
    expect(where(error)).toEqual([{ file: "deploy/blob.yaml", reason: "file is not valid UTF-8 text" }]);
  });
});

describe("loadManifests: refusals name file, document and line:column", () => {
  it("refuses documents without apiVersion, kind or metadata.name at the document or metadata start", () => {
    // Prepare
    const text = [
      "kind: ConfigMap", // document 0 starts at line 1
      "metadata: {name: a}",
      "---",
      "apiVersion: v1", // document 1 starts at line 4
      "metadata: {name: b}",
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:", // line 9
      "  labels: {app: c}",
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "deploy/bad.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      { file: "deploy/bad.yaml", document: 0, line: 1, column: 1, reason: "apiVersion is required" },
      { file: "deploy/bad.yaml", document: 1, line: 4, column: 1, reason: "kind is required" },
      { file: "deploy/bad.yaml", document: 2, line: 9, column: 1, reason: "metadata.name is required" },
      {
        file: "deploy/bad.yaml",
        document: 3,
        line: 12,
        column: 1,
        reason: "metadata.name is required (metadata is missing)",
      },
    ]);
  });

  it("refuses documents that are not mappings and fields of the wrong type", () => {
    // Prepare
    const text = [
      "- just",
      "- a list",
      "---",
      "plain text",
      "---",
      "apiVersion: 1",
      "kind: [ConfigMap]",
      "metadata:",
      "  name: 42",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "x.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "x.yaml",
        document: 0,
        line: 1,
        column: 1,
        reason: "expected a Kubernetes object (a mapping), found a sequence",
      },
      {
        file: "x.yaml",
        document: 1,
        line: 4,
        column: 1,
        reason: 'expected a Kubernetes object (a mapping), found a string ("plain text")',
      },
      {
        file: "x.yaml",
        document: 2,
        line: 6,
        column: 1,
        reason: "apiVersion must be a string, found a number (1)",
      },
      { file: "x.yaml", document: 2, line: 7, column: 1, reason: "kind must be a string, found a sequence" },
      {
        file: "x.yaml",
        document: 2,
        line: 9,
        column: 3,
        reason: "metadata.name must be a string, found a number (42)",
      },
    ]);
  });

  it("refuses names that are not RFC 1123 subdomains, but accepts RBAC path-segment names", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: My_Config",
      "---",
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: ClusterRole",
      "metadata:",
      "  name: system:aggregate-to-view",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "names.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "names.yaml",
        document: 0,
        line: 4,
        column: 3,
        reason: expect.stringContaining('metadata.name "My_Config" must be an RFC 1123 subdomain'),
      },
    ]);
  });

  it("holds Namespace names to the stricter RFC 1123 label rule", () => {
    // Prepare
    const text = ["apiVersion: v1", "kind: Namespace", "metadata:", "  name: team.a", ""].join("\n");

    // Act
    const error = loadTreeErrors({ "ns.yaml": text }, { policy: { namespaces: ["*"] } });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "ns.yaml",
        document: 0,
        line: 4,
        column: 3,
        reason: expect.stringContaining('metadata.name "team.a" must be an RFC 1123 label'),
      },
    ]);
  });

  it("refuses generateName without a name on an object that is not a hook, explaining why", () => {
    // Prepare
    const text = ["apiVersion: batch/v1", "kind: Job", "metadata:", "  generateName: migrate-", ""].join(
      "\n",
    );

    // Act
    const error = loadTreeErrors({ "job.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "job.yaml",
        document: 0,
        line: 4,
        column: 3,
        reason: expect.stringContaining(
          "metadata.generateName without metadata.name is supported only on hooks",
        ),
      },
    ]);
  });

  it("accepts generateName on a hook, identifying it by the prefix until it is created", () => {
    // Prepare
    const text = [
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      "  generateName: migrate-",
      "  annotations:",
      "    argocd.argoproj.io/hook: PreSync",
      "",
    ].join("\n");

    // Act
    const [loaded] = loadTree({ "job.yaml": text });

    // Assess
    expect(loaded?.object.metadata).toMatchObject({ name: "migrate-", generateName: "migrate-" });
  });

  it("refuses an unknown hook, delete policy or a wave that is not an integer, naming the annotation's line", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: a",
      "  annotations:",
      '    argocd.argoproj.io/sync-wave: "first"',
      "---",
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      "  name: b",
      "  annotations:",
      "    argocd.argoproj.io/hook: PreSync",
      "    argocd.argoproj.io/hook-delete-policy: WhenDone",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "x.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      expect.objectContaining({ file: "x.yaml", line: 6, reason: '"first" is not an integer' }),
      expect.objectContaining({
        file: "x.yaml",
        line: 14,
        reason: expect.stringContaining('unknown delete policy "WhenDone"'),
      }),
    ]);
  });

  it("refuses an empty or malformed metadata.namespace", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      'metadata: {name: a, namespace: ""}',
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: b, namespace: Team_A}",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "ns.yaml": text }, { policy: { namespaces: ["*"] } });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "ns.yaml",
        document: 0,
        line: 3,
        column: 21,
        reason: "metadata.namespace is empty: remove it to use the target's default namespace",
      },
      {
        file: "ns.yaml",
        document: 1,
        line: 7,
        column: 21,
        reason: expect.stringContaining('metadata.namespace "Team_A" must be an RFC 1123 label'),
      },
    ]);
  });

  it("refuses label and annotation values that are not strings, at the offending key", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: Service",
      "metadata:",
      "  name: api",
      "  labels:",
      "    tier: 1",
      "  annotations:",
      "    prometheus.io/scrape: true",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "svc.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "svc.yaml",
        document: 0,
        line: 6,
        column: 5,
        reason: 'metadata.labels["tier"] must be a string, found a number (1) (quote it)',
      },
      {
        file: "svc.yaml",
        document: 0,
        line: 8,
        column: 5,
        reason:
          'metadata.annotations["prometheus.io/scrape"] must be a string, found a boolean (true) (quote it)',
      },
    ]);
  });

  it("refuses objects that already carry an applyset.kubernetes.io label, at the label", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: sneaky",
      "  labels:",
      "    app: web",
      "    applyset.kubernetes.io/part-of: applyset-abc-v1",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "a.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "a.yaml",
        document: 0,
        line: 7,
        column: 5,
        reason: expect.stringContaining(
          "label applyset.kubernetes.io/part-of is reserved for the ApplySet inventory",
        ),
      },
    ]);
  });

  it("refuses objects that carry an applyset.kubernetes.io annotation (posing as an ApplySet parent), at the annotation", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: parent",
      "  annotations:",
      "    applyset.kubernetes.io/tooling: kubectl/v1.30",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "a.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "a.yaml",
        document: 0,
        line: 6,
        column: 5,
        reason: expect.stringContaining(
          "annotation applyset.kubernetes.io/tooling is reserved for the ApplySet inventory",
        ),
      },
    ]);
  });

  it("refuses duplicate objects (same group, kind, namespace and name) across files, naming the first", () => {
    // Prepare
    const second = aYamlStream(
      aConfigMap("web", { namespace: "team-a" }),
      aDeployment("web", { namespace: "team-a" }),
    );
    const files = { "a.yaml": aYamlStream(aDeployment("web", { namespace: "team-a" })), "b.yaml": second };

    // Act
    const error = loadTreeErrors(files);

    // Assess
    expect(where(error)).toEqual([
      {
        file: "b.yaml",
        document: 1,
        line: documentLine(second, 1),
        column: 1,
        reason: "duplicate object Deployment.apps team-a/web: already defined at a.yaml:2:1",
      },
    ]);
  });

  it("treats the same name in another namespace, kind or group as a different object", () => {
    // Prepare
    const files = {
      "a.yaml": aYamlStream(
        aConfigMap("web", { namespace: "team-a" }),
        aConfigMap("web", { namespace: "team-b" }),
        aConfigMap("web"),
        aDeployment("web", { namespace: "team-a" }),
        { ...aDeployment("web", { namespace: "team-a" }), apiVersion: "example.com/v1" },
      ),
    };

    // Act
    const loaded = loadTree(files, { policy: { namespaces: ["*"] } });

    // Assess
    expect(new Set(loaded.map((d) => objectKey(d.object))).size).toBe(5);
  });

  it("refuses a duplicate inside a List at the item", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}",
      "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}",
      "- 42",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "l.yaml": text });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "l.yaml",
        document: 0,
        line: 6,
        column: 3,
        reason: "items[2] must be a Kubernetes object (a mapping), found a number (42)",
      },
      {
        file: "l.yaml",
        document: 0,
        line: 5,
        column: 3,
        reason: "duplicate object ConfigMap a: already defined at l.yaml:4:3",
      },
    ]);
  });

  it("collects every problem of every file in one pass", () => {
    // Prepare
    const files = {
      "a.yaml": "kind: ConfigMap\nmetadata: {name: a}\n",
      "b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: kube-system}\n",
      "c.yaml": "key: [unclosed\n",
      "ok.yaml": aYamlStream(aConfigMap("fine")),
    };

    // Act
    const error = loadTreeErrors(files);

    // Assess
    expect(error.errors.map((e) => e.location.file)).toEqual(["a.yaml", "b.yaml", "c.yaml"]);
    expect(error.message).toBe("a.yaml:1:1 (document 1): apiVersion is required (and 2 more)");
    expect(error.retryable).toBe(false);
  });

  it("refuses a Kustomization with a pointer to what to do instead", () => {
    // Prepare
    const text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n";

    // Act
    const error = loadTreeErrors({ "kustomization.yaml": text });

    // Assess
    expect(error.errors[0]?.reason).toContain("Kustomize files are not supported");
    expect(error.errors[0]?.location).toEqual({
      file: "kustomization.yaml",
      document: 0,
      line: 1,
      column: 1,
    });
  });

  it("refuses a self-referencing YAML alias as a manifest problem at its line, not a crash", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: loop}",
      "data: &x {self: *x}",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({
      "deploy/loop.yaml": text,
      "deploy/ok.yaml": aYamlStream(aConfigMap("ok")),
    });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "deploy/loop.yaml",
        document: 0,
        line: 4,
        column: 11,
        reason: "YAML alias refers to a node that contains it: a recursive value is not JSON",
      },
    ]);
    expect(error.retryable).toBe(false);
  });
});

describe("loadManifests: target policy", () => {
  it("refuses objects that name a namespace outside the allowed ones, at metadata.namespace", () => {
    // Prepare
    const text = [
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: x",
      "  namespace: kube-system",
      "",
    ].join("\n");

    // Act
    const error = loadTreeErrors({ "x.yaml": text }, { policy: { namespaces: ["team-a", "team-b"] } });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "x.yaml",
        document: 0,
        line: 5,
        column: 3,
        reason: 'namespace "kube-system" is not allowed for this target (allowed: team-a, team-b)',
      },
    ]);
  });

  it("allows any namespace with `*` and leaves objects without a namespace to the engine", () => {
    // Prepare
    const files = {
      "x.yaml": aYamlStream(aConfigMap("a", { namespace: "anywhere" }), aConfigMap("b")),
    };

    // Act
    const loaded = loadTree(files, { policy: { namespaces: ["*"] } });

    // Assess
    expect(loaded).toHaveLength(2);
  });

  it("refuses a Namespace object the target may not use", () => {
    // Prepare
    const stream = aYamlStream(aNamespace("team-a"), aNamespace("kube-system"));
    const files = { "ns.yaml": stream };

    // Act
    const error = loadTreeErrors(files);

    // Assess
    expect(where(error)).toEqual([
      {
        file: "ns.yaml",
        document: 1,
        line: lineOf(stream, "name: kube-system"),
        column: 3,
        reason: 'Namespace "kube-system" is not one this target may use (allowed: team-a)',
      },
    ]);
  });

  it("refuses kinds outside policy.kinds and inside policy.deniedKinds, at the kind key", () => {
    // Prepare
    const stream = aYamlStream(
      aConfigMap("ok"),
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "rb" } },
      aDeployment("web"),
    );
    const files = { "x.yaml": stream };

    // Act
    const error = loadTreeErrors(files, {
      policy: { kinds: ["ConfigMap", "RoleBinding.rbac.authorization.k8s.io"], deniedKinds: ["rolebinding"] },
    });

    // Assess
    expect(where(error)).toEqual([
      {
        file: "x.yaml",
        document: 1,
        line: lineOf(stream, "kind: RoleBinding"),
        column: 1,
        reason:
          "kind RoleBinding.rbac.authorization.k8s.io is denied for this target (policy.deniedKinds: rolebinding)",
      },
      {
        file: "x.yaml",
        document: 2,
        line: lineOf(stream, "kind: Deployment"),
        column: 1,
        reason:
          "kind Deployment.apps is not allowed for this target (policy.kinds: ConfigMap, RoleBinding.rbac.authorization.k8s.io)",
      },
    ]);
  });

  it("refuses objects larger than policy.maxObjectBytes, counting UTF-8 bytes of the JSON form", () => {
    // Prepare
    const big = aConfigMap("big", { data: { blob: "é".repeat(600) } });
    const jsonBytes = new TextEncoder().encode(JSON.stringify(big)).byteLength;
    const stream = aYamlStream(aConfigMap("small"), big);
    const files = { "big.yaml": stream };

    // Act
    const error = loadTreeErrors(files, { policy: { maxObjectBytes: 1000 } });

    // Assess
    expect(jsonBytes).toBeGreaterThan(1000);
    expect(where(error)).toEqual([
      {
        file: "big.yaml",
        document: 1,
        line: documentLine(stream, 1),
        column: 1,
        reason: `object is ${jsonBytes} bytes as JSON, over this target's limit of 1000 (policy.maxObjectBytes)`,
      },
    ]);
  });
});
