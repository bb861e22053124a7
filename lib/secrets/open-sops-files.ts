/**
 * Verify, then decrypt: every SOPS-encrypted file of a target's fetched tree has its MAC checked
 * on the file as committed, before anything renders (Kustomize changes unencrypted values the
 * MAC covers, so after the build it could not be checked). A file whose MAC does not match, has
 * none, or is encrypted only for keys the target may not use fails the job naming the file, before
 * any write. Manifests stay encrypted through the render (their objects are decrypted after it,
 * open-sops-objects.ts); other encrypted files — `secretGenerator`/`configMapGenerator` inputs,
 * env files, Helm values — are replaced in the in-memory tree by their plaintext, so the renderer
 * reads them without anything being written to disk. Previews decrypt nothing: they verify
 * nothing either, and render with typed placeholders instead.
 */
import { createHash } from "node:crypto";
import { DecryptionError, ManifestError, ManifestSetError, PullbridgeError } from "../errors.ts";
import type { SourceTree } from "../source/git-source.ts";
import { runBounded } from "../sync/run-bounded.ts";
import type { KeyRing } from "./key-ring.ts";
import type { SecretValues } from "./secret-values.ts";
import { emitPlainFile, sealTree } from "./sops/emit-plain.ts";
import { decryptTree, SopsValueError } from "./sops/sops-cipher.ts";
import { holdsEncryptedValues, parseSopsFile, type SopsDocument } from "./sops/sops-document.ts";
import type { SopsMetadata } from "./sops/sops-metadata.ts";
import { SopsFormatError } from "./sops/sops-tree.ts";

/** How a job may treat encrypted files: decrypt with a key ring (sync, drift, CLI), or seal them (previews). */
export type SopsAccess = { mode: "decrypt"; keys: KeyRing; values: SecretValues } | { mode: "seal" };

/** A SOPS file of the tree, opened: its metadata and, when decrypted, its data key (never leaves the job). */
export type OpenedSopsFile = {
  file: string;
  document: SopsDocument;
  /** `manifest`: Kubernetes objects, decrypted after the render; `input`: read by the renderer as plaintext. */
  role: "manifest" | "input";
  /** A digest of the file as committed (ciphertext): what changes when any of its values changes. */
  committedDigest: string;
  dataKey?: Uint8Array | undefined;
};

export type OpenedSopsTree = {
  /** The tree to render: encrypted render inputs replaced by their plaintext (or, sealed, placeholders). */
  files: SourceTree;
  opened: OpenedSopsFile[];
  /** Files whose plaintext went into the render: such a render holds decrypted values and is never cached. */
  decryptedInputs: string[];
  mode: SopsAccess["mode"] | "none";
};

/** Files decrypted at once (one KMS call each). */
const DECRYPT_CONCURRENCY = 8;

const KUBE_FIELDS_IN_PLAINTEXT = ["apiVersion", "kind", "metadata"];
const PLAINTEXT_FIELDS =
  "apiVersion, kind and metadata must stay plaintext — encrypt with encrypted_regex: ^(data|stringData)$ (as for Flux)";

/**
 * Finds, verifies and (for render inputs) decrypts the SOPS files of `tree`. Throws
 * ManifestSetError (every bad file, with why), or DecryptionError (a key service failed:
 * retryable when it throttled). `renders`: false for plain targets, whose only readers are the
 * manifest loader (inputs are left as committed).
 */
export async function openSopsFiles(
  tree: SourceTree,
  options: {
    access: SopsAccess | undefined;
    target: string;
    renders: boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<OpenedSopsTree> {
  const errors: ManifestError[] = [];
  const found: Array<{ file: string; document: SopsDocument; committedDigest: string }> = [];
  for (const [file, bytes] of tree) {
    let document: SopsDocument | undefined;
    const text = Buffer.from(bytes).toString("utf8");
    try {
      document = parseSopsFile(file, text);
    } catch (error) {
      if (!(error instanceof SopsFormatError)) throw error;
      errors.push(new ManifestError({ file }, `SOPS-encrypted file cannot be read: ${error.message}`));
      continue;
    }
    if (document !== undefined) {
      found.push({ file, document, committedDigest: createHash("sha256").update(bytes).digest("hex") });
    } else if (holdsEncryptedValues(text)) {
      // Encrypted values whose metadata (and MAC) was removed would otherwise be applied as they are.
      errors.push(
        new ManifestError(
          { file },
          "holds SOPS-encrypted values but no sops metadata: it cannot be verified",
        ),
      );
    }
  }
  if (errors.length > 0) throw new ManifestSetError(errors);
  const { access } = options;
  if (found.length === 0)
    return { files: tree, opened: [], decryptedInputs: [], mode: access?.mode ?? "none" };
  if (access === undefined) {
    throw new ManifestSetError(
      found.map(
        ({ file }) =>
          new ManifestError(
            { file },
            `is SOPS-encrypted, and target ${options.target} decrypts nothing here (docs/secrets.md)`,
          ),
      ),
    );
  }
  const opened: OpenedSopsFile[] = [];
  for (const { file, document, committedDigest } of found) {
    opened.push({ file, document, role: isManifest(document) ? "manifest" : "input", committedDigest });
  }
  // A plain target reads every YAML and JSON file as objects: one whose apiVersion or kind is
  // encrypted would otherwise fail later, with its ciphertext as the "apiVersion".
  if (!options.renders) {
    const refused = opened.flatMap((o) => {
      const field = o.role === "input" ? encryptedKubeField(o.document) : undefined;
      return field === undefined
        ? []
        : [
            new ManifestError(
              { file: o.file, document: field.document },
              `encrypts ${field.key}: ${PLAINTEXT_FIELDS}`,
            ),
          ];
    });
    if (refused.length > 0) throw new ManifestSetError(refused);
  }
  if (access.mode === "decrypt") await decryptAll(opened, access, options);
  // Manifests: decrypted after the render. Inputs: the renderer reads their plaintext, in memory.
  const inputs = options.renders ? opened.filter((o) => o.role === "input") : [];
  if (inputs.length === 0) return { files: tree, opened, decryptedInputs: [], mode: access.mode };
  const files = new Map(tree);
  for (const input of inputs) {
    const { format, branches, metadata } = input.document;
    files.set(
      input.file,
      emitPlainFile(format, access.mode === "seal" ? sealTree(branches, metadata.rules) : branches),
    );
  }
  return {
    files: Object.assign(files, pick(tree)),
    opened,
    decryptedInputs: access.mode === "decrypt" ? inputs.map((i) => i.file) : [],
    mode: access.mode,
  };
}

/** A SourceTree's extras (skipped files, links) for the copy. */
function pick(tree: SourceTree) {
  return {
    ...(tree.skipped ? { skipped: tree.skipped } : {}),
    ...(tree.links ? { links: tree.links } : {}),
    ...(tree.followed ? { followed: tree.followed } : {}),
  };
}

/** Every document a Kubernetes object (`apiVersion` and `kind` in plaintext): decrypted after the render. */
function isManifest(document: SopsDocument): boolean {
  if (document.format !== "yaml" && document.format !== "json") return false;
  const nonEmpty = document.branches.filter((b) => b.entries.length > 0);
  return (
    nonEmpty.length > 0 &&
    nonEmpty.every((b) =>
      ["apiVersion", "kind"].every((k) => {
        const value = b.entries.find((e) => e.key === k)?.value;
        return value?.kind === "scalar" && value.type === "str" && !value.value.startsWith("ENC[");
      }),
    )
  );
}

/** The first document of a YAML or JSON file whose `apiVersion` or `kind` is encrypted, and which. */
function encryptedKubeField(document: SopsDocument): { document: number; key: string } | undefined {
  if (document.format !== "yaml" && document.format !== "json") return undefined;
  for (const [index, branch] of document.branches.entries()) {
    for (const key of ["apiVersion", "kind"]) {
      const value = branch.entries.find((e) => e.key === key)?.value;
      if (value?.kind === "scalar" && value.type === "str" && value.value.startsWith("ENC[")) {
        return { document: index, key };
      }
    }
  }
  return undefined;
}

async function decryptAll(
  opened: OpenedSopsFile[],
  access: Extract<SopsAccess, { mode: "decrypt" }>,
  options: { target: string; signal?: AbortSignal | undefined },
): Promise<void> {
  const results = await runBounded(
    opened,
    { concurrency: DECRYPT_CONCURRENCY, stopOnError: false, signal: options.signal },
    async (file) => {
      file.dataKey = await openDataKey(file, access.keys, options);
      verify(file, access.values);
    },
  );
  const failures = results.flatMap((r) => (r.ok ? [] : [r.error]));
  if (failures.length === 0) return;
  // A retryable failure (throttled, unreachable) retries the job; otherwise every bad file is named.
  const retryable = failures.find((e) => e instanceof PullbridgeError && e.retryable);
  if (retryable !== undefined) throw retryable;
  const unknown = failures.find((e) => !(e instanceof ManifestError || e instanceof DecryptionError));
  if (unknown !== undefined) throw unknown;
  const manifestErrors = failures.filter((e): e is ManifestError => e instanceof ManifestError);
  if (manifestErrors.length > 0) throw new ManifestSetError(manifestErrors);
  throw failures[0];
}

/** The data key, from the first usable master key that opens it; refuses a file only other keys can open. */
async function openDataKey(
  file: OpenedSopsFile,
  keys: KeyRing,
  options: { target: string; signal?: AbortSignal | undefined },
): Promise<Uint8Array> {
  const { metadata } = file.document;
  const usable = await keys.usable(metadata);
  if (usable.length === 0) {
    throw new ManifestError(
      { file: file.file },
      `is encrypted for ${describeMasterKeys(metadata)}, none of which target ${options.target} may decrypt with (it may use ${keys.describe()}); re-encrypt it for one of those keys (docs/secrets.md)`,
    );
  }
  let first: unknown;
  for (const entry of usable) {
    try {
      return await keys.open(entry, file.file, options.signal);
    } catch (error) {
      // A throttled or unreachable key service: retry the job rather than try a key that may also work.
      if (error instanceof PullbridgeError && error.retryable) throw error;
      first ??= error;
    }
  }
  throw first;
}

/** Checks the MAC over the whole file as committed; records every plaintext for redaction. */
function verify(file: OpenedSopsFile, values: SecretValues): void {
  const { document, dataKey } = file;
  if (dataKey === undefined) return;
  let result: ReturnType<typeof decryptTree>;
  try {
    result = decryptTree(document.branches, document.metadata, dataKey);
  } catch (error) {
    if (error instanceof SopsValueError) {
      throw new ManifestError(
        { file: file.file },
        `${error.message}: the file was changed after SOPS encrypted it (a value edited, moved or copied from another file); refusing it`,
      );
    }
    if (error instanceof SopsFormatError)
      throw new ManifestError({ file: file.file }, `SOPS-encrypted, but ${error.message}`);
    throw error;
  }
  for (const plaintext of result.plaintexts) values.add(plaintext);
  if (!result.macMatches) {
    throw new ManifestError(
      { file: file.file },
      "MAC mismatch: the file was changed after SOPS encrypted it (an unencrypted value, the key order or an encrypted value edited by hand); refusing it — re-encrypt it with sops",
    );
  }
  if (file.role === "manifest") {
    result.encryptedPaths.forEach((paths, doc) => {
      const path = paths.find((p) => KUBE_FIELDS_IN_PLAINTEXT.includes(p[0] ?? ""));
      if (path !== undefined) {
        throw new ManifestError(
          { file: file.file, document: doc },
          `encrypts ${path.join(".")}: ${PLAINTEXT_FIELDS}`,
        );
      }
    });
  }
  document.branches = result.branches;
}

/** `kms key arn:… and age recipient age1…` — what a file says it was encrypted for. */
function describeMasterKeys(metadata: SopsMetadata): string {
  const keys = [
    ...metadata.kms.map((k) => `KMS key ${k.arn}`),
    ...metadata.age.map((a) => `age recipient ${a.recipient}`),
    ...metadata.otherKeyTypes.map((t) => `${t} keys`),
  ];
  return keys.length === 0 ? "no master key" : keys.join(", ");
}
