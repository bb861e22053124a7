/**
 * A SOPS file's `sops` metadata: which master keys hold its data key (AWS KMS and age are the
 * ones pullbridge uses; others are listed so a refusal can name them), the encryption rules
 * (`encrypted_regex`, `unencrypted_suffix`, …) that say which values are encrypted, and the
 * encrypted MAC. The metadata is not covered by the MAC: nothing in it is trusted for a
 * decision (which key a target may use comes from the deployed stack file). Pure.
 */
import { SopsFormatError, type SopsMap, type SopsNode } from "./sops-tree.ts";

/** An AWS KMS master key entry: the key ARN and the data key it encrypted, with the encryption context. */
export type SopsKmsEntry = {
  arn: string;
  /** Base64 KMS ciphertext of the data key. */
  enc: string;
  /** The encryption context SOPS recorded (KMS refuses the decrypt without the same one). */
  context: Record<string, string>;
  /** Recorded by SOPS, ignored by pullbridge: the worker never assumes a role a file names. */
  role?: string | undefined;
  /** Recorded by SOPS, ignored by pullbridge. */
  awsProfile?: string | undefined;
};

/** An age recipient entry: the recipient and the armored age file holding the data key. */
export type SopsAgeEntry = { recipient: string; enc: string };

/** Which values are encrypted: at most one rule is set (SOPS refuses more); none means `unencrypted_suffix: _unencrypted`. */
export type SopsEncryptionRules = {
  unencryptedSuffix?: string | undefined;
  encryptedSuffix?: string | undefined;
  unencryptedRegex?: string | undefined;
  encryptedRegex?: string | undefined;
};

export type SopsMetadata = {
  /** As written; the MAC's additional data is its RFC 3339 re-formatting (`macAdditionalData`). */
  lastModified: string;
  /** The encrypted MAC (`ENC[AES256_GCM,…,type:str]`), or undefined when the file has none. */
  mac: string | undefined;
  version: string;
  rules: SopsEncryptionRules;
  macOnlyEncrypted: boolean;
  kms: SopsKmsEntry[];
  age: SopsAgeEntry[];
  /** Master key types pullbridge does not decrypt with (`pgp`, `gcp_kms`, …) that the file also lists. */
  otherKeyTypes: string[];
};

/** SOPS's default when a file sets no rule. */
export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

const OTHER_KEY_TYPES = ["pgp", "gcp_kms", "azure_kv", "hc_vault", "hckms"] as const;

/** The node as plain JSON (strings for scalars in flattened dotenv metadata). */
function plain(node: SopsNode | undefined): unknown {
  if (node === undefined) return undefined;
  if (node.kind === "map") return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
  if (node.kind === "list") return node.items.map(plain);
  if (node.type === "null") return null;
  if (node.type === "int") return Number(node.value);
  return node.value;
}

const str = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Reads the metadata mapping; throws SopsFormatError naming what is wrong. `flat`: from dotenv, every value a string. */
export function readSopsMetadata(node: SopsMap, options: { flat?: boolean } = {}): SopsMetadata {
  const meta = plain(node) as Record<string, unknown>;
  const lastModified = str(meta.lastmodified);
  if (lastModified === undefined) throw new SopsFormatError("its sops metadata has no lastmodified");
  const commentRule = ["unencrypted_comment_regex", "encrypted_comment_regex"].find(
    (k) => str(meta[k]) !== undefined && str(meta[k]) !== "",
  );
  if (commentRule !== undefined) {
    throw new SopsFormatError(
      `${commentRule} is not supported: pullbridge decrypts values selected by key (use encrypted_regex, e.g. ^(data|stringData)$)`,
    );
  }
  const rules: SopsEncryptionRules = {};
  const set = (field: keyof SopsEncryptionRules, key: string) => {
    const value = str(meta[key]);
    if (value !== undefined && value !== "") rules[field] = value;
  };
  set("unencryptedSuffix", "unencrypted_suffix");
  set("encryptedSuffix", "encrypted_suffix");
  set("unencryptedRegex", "unencrypted_regex");
  set("encryptedRegex", "encrypted_regex");
  const ruleCount = Object.keys(rules).length;
  if (ruleCount > 1) {
    throw new SopsFormatError(
      "its sops metadata sets more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex",
    );
  }
  if (ruleCount === 0) rules.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  for (const regex of [rules.encryptedRegex, rules.unencryptedRegex]) {
    if (regex === undefined) continue;
    try {
      new RegExp(regex, "u");
    } catch {
      throw new SopsFormatError(`its regular expression ${JSON.stringify(regex)} is not supported`);
    }
  }
  const macOnly = meta.mac_only_encrypted;
  const groups = Array.isArray(meta.key_groups) ? meta.key_groups.filter(isRecord) : [];
  if (groups.length > 1) {
    throw new SopsFormatError(
      "it uses several key groups (Shamir secret sharing), which pullbridge does not decrypt: encrypt it for one group of keys",
    );
  }
  const keyHolder: Record<string, unknown> = groups[0] ?? meta;
  const list = (key: string) => (Array.isArray(keyHolder[key]) ? keyHolder[key].filter(isRecord) : []);
  const kms = list("kms").map((entry, i): SopsKmsEntry => {
    const arn = str(entry.arn);
    const enc = str(entry.enc);
    if (!arn || !enc) throw new SopsFormatError(`its sops.kms[${i}] has no arn or enc`);
    const context = isRecord(entry.context)
      ? Object.fromEntries(Object.entries(entry.context).map(([k, v]) => [k, str(v) ?? ""]))
      : {};
    return {
      arn,
      enc,
      context,
      role: str(entry.role) || undefined,
      awsProfile: str(entry.aws_profile) || undefined,
    };
  });
  const age = list("age").map((entry, i): SopsAgeEntry => {
    const recipient = str(entry.recipient);
    const enc = str(entry.enc);
    if (!recipient || !enc) throw new SopsFormatError(`its sops.age[${i}] has no recipient or enc`);
    return { recipient, enc };
  });
  return {
    lastModified,
    mac: str(meta.mac) || undefined,
    version: str(meta.version) ?? "",
    rules,
    macOnlyEncrypted: macOnly === true || (options.flat === true && macOnly === "true"),
    kms,
    age,
    otherKeyTypes: OTHER_KEY_TYPES.filter((type) => list(type).length > 0),
  };
}

/**
 * The MAC's additional data: SOPS parses `lastmodified` and formats it again as RFC 3339 (whole
 * seconds, `Z` for a zero offset), so a file whose text was written differently still verifies.
 */
export function macAdditionalData(lastModified: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(
    lastModified,
  );
  if (!match) throw new SopsFormatError(`its sops.lastmodified "${lastModified}" is not an RFC 3339 time`);
  const [, date, time, zone = "Z"] = match;
  const offset = zone === "z" || zone === "Z" || zone === "+00:00" || zone === "-00:00" ? "Z" : zone;
  return `${date}T${time}${offset}`;
}

/**
 * Whether SOPS encrypts the value at `path` (its `shouldBeEncrypted`, without the comment rules,
 * which pullbridge refuses). `path` is the keys from the document root; list indices are not part of it.
 */
export function isEncryptedPath(rules: SopsEncryptionRules, path: readonly string[]): boolean {
  if (rules.unencryptedSuffix !== undefined) {
    const suffix = rules.unencryptedSuffix;
    return !path.some((key) => key.endsWith(suffix));
  }
  if (rules.encryptedSuffix !== undefined) {
    const suffix = rules.encryptedSuffix;
    return path.some((key) => key.endsWith(suffix));
  }
  if (rules.unencryptedRegex !== undefined) {
    const regex = new RegExp(rules.unencryptedRegex, "u");
    return !path.some((key) => regex.test(key));
  }
  if (rules.encryptedRegex !== undefined) {
    const regex = new RegExp(rules.encryptedRegex, "u");
    return path.some((key) => regex.test(key));
  }
  return true;
}
