/**
 * Manifest loading: a repository tree at one commit → the validated objects a target wants,
 * each with the file, document and line:column it was written at. Every problem in the whole
 * tree is collected before failing, so one push can fix them all.
 */
import { describeError, ManifestError, ManifestSetError } from "../errors.ts";
import type { ManifestPolicy } from "./check-policy.ts";
import { checkPolicy } from "./check-policy.ts";
import { expandListItems } from "./expand-list-items.ts";
import type { DesiredObject, ManifestSource } from "./kube-object.ts";
import { describeObject, objectKey } from "./kube-object.ts";
import type { ValuePath } from "./locate-yaml-node.ts";
import type { ObjectIssue } from "./object-issue.ts";
import type { ParsedDocument } from "./parse-yaml-documents.ts";
import { eachYamlDocument } from "./parse-yaml-documents.ts";
import { type FileSelection, selectManifestFiles } from "./select-manifest-files.ts";
import { validateObject } from "./validate-object.ts";

export type LoadManifestsInput = {
  /** The repository tree: `/`-separated paths relative to the repository root → file bytes. */
  files: ReadonlyMap<string, Uint8Array>;
  /** Directory of the target inside the repository; `.` for the root. */
  targetPath: string;
  policy: ManifestPolicy;
  /** Plain targets' include/exclude globs and `recursive`. */
  selection?: FileSelection | undefined;
};

/**
 * Loads and validates the target's objects, in file then document order; throws a
 * ManifestSetError naming every problem (file, document, line:column) when there is any.
 * Objects are returned as written: `metadata.namespace` stays absent when it was absent.
 */
export function loadManifests(input: LoadManifestsInput): DesiredObject[] {
  const desired: DesiredObject[] = [];
  const errors: ManifestError[] = [];
  const firstSeen = new Map<string, ManifestSource>();

  function loadFile(file: string): void {
    const text = decodeUtf8(input.files.get(file) ?? new Uint8Array());
    if (text === undefined) {
      errors.push(new ManifestError({ file }, "file is not valid UTF-8 text"));
      return;
    }
    eachYamlDocument(file, text, onDocument, errors);
    function onDocument(document: ParsedDocument): void {
      const report = (issue: ObjectIssue, base: ValuePath = []) =>
        errors.push(new ManifestError(sourceOf(file, document, [...base, ...issue.path]), issue.reason));
      const { candidates, issues } = expandListItems(document.value);
      for (const issue of issues) report(issue);

      for (const candidate of candidates) {
        const validated = validateObject(candidate.value);
        if ("issues" in validated) {
          for (const issue of validated.issues) report(issue, candidate.path);
          continue;
        }
        const { object } = validated;
        const source = sourceOf(file, document, candidate.path);
        const policyIssues = checkPolicy(object, input.policy);
        for (const issue of policyIssues) report(issue, candidate.path);

        const key = objectKey(object);
        const first = firstSeen.get(key);
        if (first) {
          errors.push(
            new ManifestError(
              source,
              `duplicate object ${describeObject(object)}: already defined at ${formatSource(first)}`,
            ),
          );
          continue;
        }
        firstSeen.set(key, source);
        if (policyIssues.length === 0) desired.push({ object, source });
      }
    }
  }

  for (const file of selectManifestFiles(input.files.keys(), input.targetPath, input.selection)) {
    try {
      loadFile(file);
    } catch (error) {
      // Whatever a file makes the parser or a check throw is a problem of that file, not a crash of the job.
      errors.push(
        error instanceof ManifestError
          ? error
          : new ManifestError({ file }, `cannot load: ${describeError(error)}`, { cause: error }),
      );
    }
  }

  if (errors.length > 0) throw new ManifestSetError(errors);
  return desired;
}

function sourceOf(file: string, document: ParsedDocument, path: ValuePath): ManifestSource {
  return { file, document: document.index, ...document.locate(path) };
}

function formatSource(source: ManifestSource): string {
  return `${source.file}:${source.line}:${source.column}`;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Strict decoding: a binary file named `.yaml` should fail loudly, not parse as mojibake. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
