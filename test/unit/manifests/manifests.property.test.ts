import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManifestSetError } from "../../../lib/errors.ts";
import type { KubeObject } from "../../../lib/manifests/kube-object.ts";
import { loadManifests } from "../../../lib/manifests/load-manifests.ts";
import { renderObjectDiff } from "../../../lib/manifests/render-object-diff.ts";
import { renderObjectYaml } from "../../../lib/manifests/render-object-yaml.ts";
import { aFileTree, aManifestPolicy, aSecret } from "../../factories/manifests.ts";

const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const objectName = fc
  .array(dnsLabel, { minLength: 1, maxLength: 3 })
  .map((labels) => labels.join("."))
  .filter((name) => name.length <= 253);
const labelMap = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9./-]{0,15}$/), fc.string({ maxLength: 20 }), {
  maxKeys: 3,
});
const jsonData = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 10 }).filter((key) => key !== "__proto__"),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 4 },
);

/** Valid objects with distinct identities, in namespace team-a or without one. */
const validObjects = fc.uniqueArray(
  fc.record({
    kind: fc.constantFrom("ConfigMap", "Deployment", "Widget"),
    apiVersion: fc.constantFrom("v1", "apps/v1", "example.com/v1alpha1"),
    name: objectName,
    namespaced: fc.boolean(),
    labels: labelMap,
    data: jsonData,
  }),
  {
    minLength: 1,
    maxLength: 6,
    selector: (o) =>
      `${o.apiVersion.split("/").length > 1 ? o.apiVersion.split("/")[0] : ""}/${o.kind}/${o.namespaced}/${o.name}`,
  },
);

type ObjectSpec = {
  kind: string;
  apiVersion: string;
  name: string;
  namespaced: boolean;
  labels: Record<string, string>;
  data: Record<string, fc.JsonValue>;
};

function toObject(spec: ObjectSpec): KubeObject {
  return {
    apiVersion: spec.apiVersion,
    kind: spec.kind,
    metadata: { name: spec.name, ...(spec.namespaced ? { namespace: "team-a" } : {}), labels: spec.labels },
    data: spec.data,
  };
}

describe("manifest properties", () => {
  it("any valid object set written as multi-document YAML loads back unchanged, located at each document start", () => {
    fc.assert(
      fc.property(
        validObjects,
        fc.array(fc.constantFrom("", "# comment\n", "null\n"), { maxLength: 3 }),
        (specs, fillers) => {
          // Prepare
          const objects = specs.map(toObject);
          const documents = [...fillers, ...objects.map(renderObjectYaml)];
          const text = documents.map((doc) => `---\n${doc}`).join("");

          // Act
          const loaded = loadManifests({
            files: aFileTree({ "deploy/all.yaml": text }),
            targetPath: "deploy",
            policy: aManifestPolicy(),
          });

          // Assess
          // Compared as JSON, which is what reaches the API server (JSON has no -0, for one).
          const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
          expect(asJson(loaded.map((d) => d.object))).toEqual(asJson(objects));
          const lines = text.split("\n");
          loaded.forEach((desired, i) => {
            const documentIndex = fillers.length + i;
            expect(desired.source).toMatchObject({
              file: "deploy/all.yaml",
              document: documentIndex,
              column: 1,
            });
            expect(lines[desired.source.line - 2]).toBe("---");
            expect(lines.slice(0, desired.source.line - 1).filter((line) => line === "---")).toHaveLength(
              documentIndex + 1,
            );
          });
        },
      ),
    );
  });

  it("any input either loads or fails with a ManifestSetError, never another exception", () => {
    const yamlish = fc.stringMatching(/^[-a-z:{}[\]&*!|>'"#%@`,?\n\t 0-9.]{0,80}$/);
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 80 })), (text) => {
        // Act
        let outcome: unknown;
        try {
          outcome = loadManifests({
            files: aFileTree({ "x.yaml": text }),
            targetPath: ".",
            policy: aManifestPolicy(),
          });
        } catch (error) {
          outcome = error;
        }

        // Assess
        expect(Array.isArray(outcome) || outcome instanceof ManifestSetError).toBe(true);
      }),
    );
  });

  it("a Secret value never appears in a diff, neither raw nor base64-encoded", () => {
    const secretValue = fc.string({ minLength: 1, maxLength: 30 }).map((s) => `s3cr3t:${s}`);
    fc.assert(
      fc.property(secretValue, secretValue, fc.boolean(), (oldValue, newValue, asStringData) => {
        // Prepare
        const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
        const live = aSecret("s", { data: { key: base64(oldValue) } });
        const desired = asStringData
          ? aSecret("s", { stringData: { key: newValue } })
          : aSecret("s", { data: { key: base64(newValue) } });

        // Act
        const diff =
          renderObjectDiff(live, desired) +
          renderObjectDiff(undefined, desired) +
          renderObjectDiff(live, undefined);

        // Assess
        for (const value of [oldValue, newValue]) {
          expect(diff).not.toContain(value);
          expect(diff).not.toContain(base64(value));
        }
        expect(diff.includes("(changed)")).toBe(oldValue !== newValue);
      }),
    );
  });
});
