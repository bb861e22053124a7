/**
 * Rendered objects → the validated desired set, each object pointing at the repository file it
 * came from (a base, a patch's target, a generator's kustomization, a Helm template), with the
 * line of its document when the file is plain YAML.
 */
import { ManifestError, ManifestSetError } from "../errors.ts";
import type { ManifestPolicy } from "../manifests/check-policy.ts";
import { checkPolicy } from "../manifests/check-policy.ts";
import { expandListItems } from "../manifests/expand-list-items.ts";
import type { DesiredObject, KubeObject, ManifestSource } from "../manifests/kube-object.ts";
import { describeObject, objectKey } from "../manifests/kube-object.ts";
import { type ParsedDocument, parseYamlDocuments } from "../manifests/parse-yaml-documents.ts";
import { isRecord, validateObject } from "../manifests/validate-object.ts";
import type { SourceTree } from "../source/git-source.ts";
import type { RenderEngine, RenderedObject } from "./renderer-port.ts";

export type LoadRenderedInput = {
  objects: readonly RenderedObject[];
  /** The tree the render read, to find each object's document in its source file. */
  files: SourceTree;
  policy: ManifestPolicy;
  /** Helm's sources are templates, not YAML: their objects point at the template's first line. */
  engine: RenderEngine;
};

/** Validates rendered objects like written ones; throws a ManifestSetError naming each source file. */
export function loadRenderedObjects(input: LoadRenderedInput): DesiredObject[] {
  const locator =
    input.engine === "helm"
      ? (rendered: RenderedObject): ManifestSource => ({
          file: rendered.source.file,
          document: 0,
          line: 1,
          column: 1,
        })
      : createSourceLocator(input.files);
  const desired: DesiredObject[] = [];
  const errors: ManifestError[] = [];
  const firstSeen = new Map<string, ManifestSource>();
  for (const rendered of input.objects) {
    const parsed = parseYamlDocuments(rendered.source.file, rendered.yaml);
    const fallback: ManifestSource = { file: rendered.source.file, document: 0, line: 1, column: 1 };
    for (const error of parsed.errors)
      errors.push(new ManifestError(fallback, `rendered output: ${error.reason}`));
    for (const document of parsed.documents) {
      const { candidates, issues } = expandListItems(document.value);
      for (const issue of issues) errors.push(new ManifestError(fallback, issue.reason));
      for (const candidate of candidates) {
        const validated = validateObject(candidate.value);
        const source = locator(rendered, candidate.value);
        if ("issues" in validated) {
          for (const issue of validated.issues)
            errors.push(new ManifestError(source, `rendered object: ${issue.reason}`));
          continue;
        }
        const { object } = validated;
        const policyIssues = checkPolicy(object, input.policy);
        for (const issue of policyIssues)
          errors.push(new ManifestError(source, `${describeObject(object)}: ${issue.reason}`));
        const key = objectKey(object);
        const first = firstSeen.get(key);
        if (first) {
          errors.push(
            new ManifestError(
              source,
              `duplicate object ${describeObject(object)}: already rendered from ${first.file}`,
            ),
          );
          continue;
        }
        firstSeen.set(key, source);
        if (policyIssues.length === 0) desired.push({ object, source });
      }
    }
  }
  if (errors.length > 0) throw new ManifestSetError(errors);
  return desired;
}

/** The kustomization field that configures a generator or transformer Kustomize names as an object's origin. */
const KUSTOMIZATION_FIELD_OF: Readonly<Record<string, string>> = {
  ConfigMapGenerator: "configMapGenerator",
  SecretGenerator: "secretGenerator",
  PatchTransformer: "patches",
  PatchJson6902Transformer: "patchesJson6902",
  PatchStrategicMergeTransformer: "patchesStrategicMerge",
  ReplacementTransformer: "replacements",
};

/**
 * Finds the document an object was written in: same kind, and a name the rendered name contains
 * (prefixes, suffixes and hashes are added by Kustomize). Generated objects point at their
 * generator's entry in the kustomization.
 */
function createSourceLocator(
  files: SourceTree,
): (rendered: RenderedObject, value: unknown) => ManifestSource {
  const cache = new Map<string, ParsedDocument[]>();
  const documentsOf = (file: string): ParsedDocument[] => {
    let docs = cache.get(file);
    if (!docs) {
      const bytes = files.get(file);
      docs = bytes ? parseYamlDocuments(file, Buffer.from(bytes).toString("utf8")).documents : [];
      cache.set(file, docs);
    }
    return docs;
  };
  return (rendered, value) => {
    const { file, generatedBy } = rendered.source;
    const docs = documentsOf(file);
    if (generatedBy) {
      const field = KUSTOMIZATION_FIELD_OF[generatedBy];
      const doc = docs[0];
      if (field && doc && isRecord(doc.value) && field in doc.value)
        return { file, document: doc.index, ...doc.locate([field]) };
      return { file, document: 0, line: 1, column: 1 };
    }
    const object = isRecord(value) ? (value as Partial<KubeObject>) : {};
    const name = isRecord(object.metadata) ? String(object.metadata.name ?? "") : "";
    let best: ParsedDocument | undefined;
    let bestLength = -1;
    for (const doc of docs) {
      if (!isRecord(doc.value) || doc.value.kind !== object.kind) continue;
      const meta = doc.value.metadata;
      const written = isRecord(meta) && typeof meta.name === "string" ? meta.name : "";
      if (name.includes(written) && written.length > bestLength) {
        best = doc;
        bestLength = written.length;
      }
    }
    return best
      ? { file, document: best.index, ...best.locate([]) }
      : { file, document: 0, line: 1, column: 1 };
  };
}
