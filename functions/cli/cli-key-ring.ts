/**
 * The CLI's key ring: the caller's own keys, as `sops` finds them — AWS KMS with the caller's AWS
 * credentials (the SDK's default chain), age identities from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`
 * or sops's default file. A targets file whose target lists `decryption.keys` bounds the KMS keys
 * as the worker's are, so `pullbridge diff` refuses what the sync would refuse.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { SecretReader } from "../../lib/config/adapters/read-secrets.ts";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import { createAgeIdentities } from "../../lib/secrets/adapters/age-identities.ts";
import { createKmsDataKeys } from "../../lib/secrets/adapters/kms-data-keys.ts";
import { allowedKeysOf, createKeyRing, type KeyRing } from "../../lib/secrets/key-ring.ts";

/** Where the caller's age identities are, as `sops` finds them (lib/config/terminal-env.ts reads them). */
export type CallerSopsKeys = {
  SOPS_AGE_KEY?: string | undefined;
  SOPS_AGE_KEY_FILE?: string | undefined;
  sopsAgeDefaultFile?: string | undefined;
};

/** The caller's age identity file or text, when there is one (sops's default file only if it exists). */
function callerAgeKey(env: CallerSopsKeys): { read: () => Promise<string>; source: string } | undefined {
  const inline = env.SOPS_AGE_KEY;
  if (inline !== undefined && inline !== "") return { read: async () => inline, source: "$SOPS_AGE_KEY" };
  const explicit = env.SOPS_AGE_KEY_FILE;
  if (explicit !== undefined && explicit !== "") {
    return { read: () => readFile(explicit, "utf8"), source: `$SOPS_AGE_KEY_FILE (${explicit})` };
  }
  const fallback = env.sopsAgeDefaultFile;
  if (fallback === undefined || !existsSync(fallback)) return undefined;
  return { read: () => readFile(fallback, "utf8"), source: fallback };
}

/**
 * A key ring over the caller's keys, bounded by the target's `decryption.keys` when a targets file
 * names them. `stackAgeKeys`: local mode also reads the stack file's age keys (with the caller's
 * AWS credentials), as the worker would.
 */
export function cliKeyRing(
  env: CallerSopsKeys,
  target: Target,
  keys: TargetsFile["keys"] | undefined,
  options: { stackAgeKeys?: SecretReader } = {},
): KeyRing {
  const age = callerAgeKey(env);
  const bounded = target.decryption !== undefined;
  const { stackAgeKeys } = options;
  const stackAge =
    stackAgeKeys === undefined
      ? []
      : allowedKeysOf(target, keys ?? {}).flatMap((k) =>
          k.type === "age"
            ? [
                {
                  name: k.name,
                  identities: createAgeIdentities(() => stackAgeKeys.read(k.privateKey), k.privateKey),
                },
              ]
            : [],
        );
  return createKeyRing({
    kms: {
      allowed: bounded
        ? allowedKeysOf(target, keys ?? {}).flatMap((k) =>
            k.type === "kms" ? [{ name: k.name, arn: k.arn }] : [],
          )
        : "any",
      keys: createKmsDataKeys(),
    },
    age: [
      ...(age === undefined
        ? []
        : [{ name: "yours", identities: createAgeIdentities(age.read, age.source) }]),
      ...stackAge,
    ],
  });
}
