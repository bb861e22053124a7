/**
 * The worker's key rings: per target, the stack file's keys its `decryption.keys` names — KMS
 * keys through one KMS port (the SDK loaded on first use), age keys read from SSM / Secrets
 * Manager once per container. Nothing in a repository can add a key: they come from the deployed
 * stack file only.
 */
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import { createAgeIdentities } from "../../lib/secrets/adapters/age-identities.ts";
import { createKmsDataKeys } from "../../lib/secrets/adapters/kms-data-keys.ts";
import {
  type AgeIdentities,
  allowedKeysOf,
  createKeyRing,
  type KeyRing,
  type KmsDataKeys,
} from "../../lib/secrets/key-ring.ts";

/** `(target) => KeyRing` over the stack file's keys. */
export function composeKeyRing(options: {
  targets: TargetsFile;
  secrets: SecretReader;
  /** The KMS port (tests point it at moto); default: the SDK's client per region. */
  kms?: KmsDataKeys | undefined;
}): (target: Target) => KeyRing {
  let kms = options.kms;
  const kmsKeys = (): KmsDataKeys => {
    kms ??= createKmsDataKeys();
    return kms;
  };
  const ageByName = new Map<string, AgeIdentities>();
  return (target) => {
    const allowed = allowedKeysOf(target, options.targets.keys);
    return createKeyRing({
      kms: {
        allowed: allowed.flatMap((k) => (k.type === "kms" ? [{ name: k.name, arn: k.arn }] : [])),
        keys: { decrypt: (input) => kmsKeys().decrypt(input) },
      },
      age: allowed.flatMap((k) => {
        if (k.type !== "age") return [];
        let identities = ageByName.get(k.name);
        if (identities === undefined) {
          const ref = k.privateKey;
          identities = createAgeIdentities(() => options.secrets.read(ref), ref);
          ageByName.set(k.name, identities);
        }
        return [{ name: k.name, identities }];
      }),
    });
  };
}
