/**
 * Rendered objects that carry SOPS metadata, decrypted before planning (Flux's approach): each
 * encrypted value is opened with the data key of the verified file whose metadata the object
 * carries (open-sops-files.ts checked that file's MAC as committed), with its key path as the
 * additional data, so a value moved to another key does not decrypt. The `sops` field goes;
 * `apiVersion`, `kind` and `metadata` were plaintext all along. Each object records the
 * ciphertext digest of every encrypted field in `pullbridge.dev/encrypted-values`: previews, which
 * decrypt nothing, tell from it which keys changed, and the desired set's digest (drift) is taken
 * over it rather than over plaintext. Objects a render made from decrypted inputs (a
 * `secretGenerator`, Helm values) have the fields holding those values marked sensitive too.
 */
import { ManifestError, ManifestSetError } from "../errors.ts";
import { toPointer } from "../manifests/json-pointer.ts";
import type { DesiredObject, KubeObject } from "../manifests/kube-object.ts";
import { ENCRYPTED_VALUES_ANNOTATION, isSecret } from "../manifests/mask-secret-data.ts";
import type { OpenedSopsFile, OpenedSopsTree, SopsAccess } from "./open-sops-files.ts";
import { ciphertextDigest, nodeToJs, sealedPlaceholder } from "./sops/emit-plain.ts";
import { decryptValue, encryptedValueType, isEncryptedValue, SopsDecryptError } from "./sops/sops-cipher.ts";
import { isEncryptedPath } from "./sops/sops-metadata.ts";

const SEALED = /sealed:[0-9a-f]{16}/;

/** Decrypts (or, for previews, seals) the objects that came from SOPS files; throws ManifestSetError naming each bad object. */
export function openSopsObjects(
  desired: readonly DesiredObject[],
  tree: OpenedSopsTree,
  access: SopsAccess | undefined,
): DesiredObject[] {
  if (tree.opened.length === 0 || access === undefined) return [...desired];
  const byMac = new Map<string, OpenedSopsFile>();
  for (const file of tree.opened) {
    if (file.role === "manifest" && file.document.metadata.mac) byMac.set(file.document.metadata.mac, file);
  }
  const inputs = tree.opened.filter((f) => f.role === "input");
  // Fields made from encrypted inputs change when any of those files does: one digest for all of them.
  const inputsDigest =
    inputs.length === 0 ? undefined : ciphertextDigest(inputs.map((i) => i.committedDigest).join(","));
  const errors: ManifestError[] = [];
  const opened = desired.map((item) => {
    const sops = (item.object as Record<string, unknown>).sops;
    if (sops !== undefined) {
      const mac = typeof sops === "object" && sops !== null ? (sops as { mac?: unknown }).mac : undefined;
      const file = typeof mac === "string" ? byMac.get(mac) : undefined;
      if (file === undefined) {
        errors.push(
          new ManifestError(
            item.source,
            "carries SOPS metadata that belongs to no SOPS-encrypted manifest of the target's files (only files encrypted as committed are decrypted)",
          ),
        );
        return item;
      }
      try {
        return openObject(item, file, access);
      } catch (error) {
        if (!(error instanceof SopsDecryptError)) throw error;
        errors.push(new ManifestError(item.source, `${error.message} (from ${file.file})`));
        return item;
      }
    }
    if (inputsDigest === undefined) return item;
    return markDerived(item, access, inputsDigest);
  });
  if (errors.length > 0) throw new ManifestSetError(errors);
  return opened;
}

/** One object of a verified SOPS manifest: values decrypted (or sealed), `sops` removed, digests recorded. */
function openObject(item: DesiredObject, file: OpenedSopsFile, access: SopsAccess): DesiredObject {
  const { rules } = file.document.metadata;
  const digests: Record<string, string> = {};
  const walk = (value: unknown, keys: string[], pointer: (string | number)[]): unknown => {
    if (Array.isArray(value)) return value.map((v, i) => walk(v, keys, [...pointer, i]));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, walk(v, [...keys, k], [...pointer, k])]),
      );
    }
    if (!isEncryptedValue(value) || !isEncryptedPath(rules, keys)) return value;
    const at = toPointer(pointer);
    digests[at] = ciphertextDigest(value);
    if (access.mode === "seal") return placeholder(value);
    if (file.dataKey === undefined)
      throw new SopsDecryptError(`the value at ${keys.join(".")} has no data key`);
    let decrypted: ReturnType<typeof decryptValue>;
    try {
      decrypted = decryptValue(value, file.dataKey, `${keys.join(":")}:`);
    } catch {
      throw new SopsDecryptError(
        `the value at ${keys.join(".")} does not decrypt with its file's data key (was it moved to another key by a patch?)`,
      );
    }
    access.values.add(decrypted.bytes);
    return nodeToJs({ kind: "scalar", ...decrypted.scalar });
  };
  const { sops: _sops, ...rest } = item.object as Record<string, unknown>;
  const object = walk(rest, [], []) as KubeObject;
  const pointers = Object.keys(digests).sort();
  return {
    ...item,
    object: withAnnotation(object, Object.fromEntries(pointers.map((p) => [p, digests[p] as string]))),
    sensitive: { pointers, sealed: access.mode === "seal" },
  };
}

/** What a preview applies in place of an encrypted value: a value of its type that names the ciphertext. */
function placeholder(ciphertext: string): unknown {
  switch (encryptedValueType(ciphertext)) {
    case "int":
    case "float":
      return 0;
    case "bool":
      return false;
    default:
      return sealedPlaceholder(ciphertext);
  }
}

/** An object rendered from decrypted (or sealed) inputs: the fields that hold their values are sensitive. */
function markDerived(item: DesiredObject, access: SopsAccess, inputsDigest: string): DesiredObject {
  const holds = (text: string): boolean =>
    access.mode === "seal" ? SEALED.test(text) : access.values.contains(text);
  const pointers: string[] = [];
  const secret = isSecret(item.object);
  const walk = (value: unknown, pointer: (string | number)[]) => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        walk(v, [...pointer, i]);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, [...pointer, k]);
    } else if (typeof value === "string") {
      const decoded =
        secret && pointer[0] === "data" ? Buffer.from(value, "base64").toString("utf8") : undefined;
      if (holds(value) || (decoded !== undefined && holds(decoded))) pointers.push(toPointer(pointer));
    }
  };
  walk(item.object, []);
  if (pointers.length === 0) return item;
  return {
    ...item,
    object: withAnnotation(item.object, Object.fromEntries(pointers.map((p) => [p, inputsDigest]))),
    sensitive: { pointers, sealed: access.mode === "seal" },
  };
}

function withAnnotation(object: KubeObject, digests: Record<string, string>): KubeObject {
  if (Object.keys(digests).length === 0) return object;
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...object.metadata.annotations, [ENCRYPTED_VALUES_ANNOTATION]: JSON.stringify(digests) },
    },
  };
}
