/**
 * Which master keys may open a SOPS file, and opening its data key with one. The decision is
 * the deployed stack file's (`keys:` and the target's `decryption.keys`), never the file's own
 * metadata: a file lists the keys it was encrypted for, and only the entries whose key the
 * target may use are tried (age first, as SOPS does, then KMS). `role` and `aws_profile` in the
 * metadata are ignored: the worker uses its own identity. The key services are ports
 * (adapters/kms-data-keys.ts, adapters/age-identities.ts).
 */
import type { DecryptionKeyConfig, Target, TargetsFile } from "../config/targets.ts";
import { DecryptionError } from "../errors.ts";
import type { SopsAgeEntry, SopsKmsEntry, SopsMetadata } from "./sops/sops-metadata.ts";

/** Decrypts a data key with AWS KMS; throws DecryptionError (classified: denied, throttled, …). */
export interface KmsDataKeys {
  decrypt(input: {
    /** The key SOPS named, which must be the key that encrypted the blob (passed as KeyId). */
    arn: string;
    ciphertext: Uint8Array;
    context: Readonly<Record<string, string>>;
    /** For messages. */
    file: string;
    signal?: AbortSignal | undefined;
  }): Promise<Uint8Array>;
}

/** age identities (private keys) and decryption with them. */
export interface AgeIdentities {
  /** The recipients (public keys) of the identities this source holds. */
  recipients(): Promise<readonly string[]>;
  /** Decrypts an armored age file with the identities; throws DecryptionError. */
  decrypt(input: { armored: string; file: string }): Promise<Uint8Array>;
}

/** One master key entry of a file that the ring may use. */
export type UsableEntry =
  | { type: "age"; entry: SopsAgeEntry; keyName: string }
  | { type: "kms"; entry: SopsKmsEntry; keyName: string };

/** Opens SOPS data keys with the keys one target (or one CLI caller) may use. */
export interface KeyRing {
  /** The file's entries this ring may decrypt with, in the order to try them; empty when none is allowed. */
  usable(metadata: SopsMetadata): Promise<UsableEntry[]>;
  /** Decrypts the data key of a usable entry. */
  open(entry: UsableEntry, file: string, signal?: AbortSignal): Promise<Uint8Array>;
  /** The keys the ring may use, for a refusal ("kms key prod (arn:…), age key team-a"). */
  describe(): string;
}

/** A stack-file key the target may use, by name. */
export type AllowedKey = { name: string } & DecryptionKeyConfig;

/**
 * The keys a target may decrypt with: its `decryption.keys`, looked up in the stack file's
 * `keys`. The one place that decides it (a project's bound, when projects exist, narrows it here).
 */
export function allowedKeysOf(target: Pick<Target, "decryption">, keys: TargetsFile["keys"]): AllowedKey[] {
  return (target.decryption?.keys ?? []).flatMap((name) => {
    const key = keys?.[name];
    return key === undefined ? [] : [{ name, ...key }];
  });
}

/**
 * A key ring over allowed keys. KMS entries are usable when their ARN is an allowed key's;
 * age entries when their recipient is one of the allowed age keys' (whose identities are read
 * only when a file lists an age recipient). `kms: "any"` (the CLI without a targets file) lets the
 * caller's own AWS credentials decide.
 */
export function createKeyRing(options: {
  kms: { allowed: readonly { name: string; arn: string }[] | "any"; keys: KmsDataKeys };
  age: readonly { name: string; identities: AgeIdentities }[];
}): KeyRing {
  const recipientsByKey = new Map<string, Promise<readonly string[]>>();
  const recipientsOf = (name: string, identities: AgeIdentities) => {
    let pending = recipientsByKey.get(name);
    if (pending === undefined) {
      pending = identities.recipients();
      recipientsByKey.set(name, pending);
      // A failed read is retried by the next file, not remembered.
      void pending.catch(() => recipientsByKey.delete(name));
    }
    return pending;
  };
  const ageByName = new Map(options.age.map((a) => [a.name, a.identities]));
  return {
    async usable(metadata) {
      const usable: UsableEntry[] = [];
      if (metadata.age.length > 0) {
        for (const { name, identities } of options.age) {
          const recipients = await recipientsOf(name, identities);
          for (const entry of metadata.age) {
            if (recipients.includes(entry.recipient)) usable.push({ type: "age", entry, keyName: name });
          }
        }
      }
      const { allowed } = options.kms;
      for (const entry of metadata.kms) {
        const key = allowed === "any" ? { name: entry.arn } : allowed.find((k) => k.arn === entry.arn);
        if (key !== undefined) usable.push({ type: "kms", entry, keyName: key.name });
      }
      return usable;
    },
    async open(usable, file, signal) {
      if (usable.type === "kms") {
        return await options.kms.keys.decrypt({
          arn: usable.entry.arn,
          ciphertext: Buffer.from(usable.entry.enc, "base64"),
          context: usable.entry.context,
          file,
          signal,
        });
      }
      const identities = ageByName.get(usable.keyName);
      if (identities === undefined) {
        throw new DecryptionError("no-key", `${file}: no identity for age key ${usable.keyName}`, {
          retryable: false,
          file,
        });
      }
      return await identities.decrypt({ armored: usable.entry.enc, file });
    },
    describe() {
      const { allowed } = options.kms;
      const kms =
        allowed === "any"
          ? ["any KMS key your AWS credentials may use"]
          : allowed.map((k) => `kms key ${k.name} (${k.arn})`);
      const age = options.age.map((a) => `age key ${a.name}`);
      const all = [...kms, ...age];
      return all.length === 0 ? "no keys" : all.join(", ");
    },
  };
}
