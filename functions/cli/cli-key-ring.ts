/**
 * The CLI's key ring: the caller's own keys, as `sops` finds them — AWS KMS with the caller's AWS
 * credentials (the SDK's default chain), age identities from `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`
 * or sops's default file. A targets file whose target lists `decryption.keys` bounds the KMS keys
 * as the worker's are, so `pullbridge diff` refuses what the sync would refuse.
 */
import { access, readFile } from "node:fs/promises";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import { createAgeIdentities } from "../../lib/secrets/adapters/age-identities.ts";
import { createKmsDataKeys } from "../../lib/secrets/adapters/kms-data-keys.ts";
import { allowedKeysOf, createKeyRing, type KeyRing } from "../../lib/secrets/key-ring.ts";

type SopsEnv = {
  SOPS_AGE_KEY?: string | undefined;
  SOPS_AGE_KEY_FILE?: string | undefined;
  sopsAgeDefaultFile?: string | undefined;
};

/** The caller's age identity file or text, when there is one (sops's default file only if it exists). */
async function callerAgeKey(
  env: SopsEnv,
): Promise<{ read: () => Promise<string>; source: string } | undefined> {
  const inline = env.SOPS_AGE_KEY;
  if (inline !== undefined && inline !== "") return { read: async () => inline, source: "$SOPS_AGE_KEY" };
  const explicit = env.SOPS_AGE_KEY_FILE;
  if (explicit !== undefined && explicit !== "") {
    return { read: () => readFile(explicit, "utf8"), source: `$SOPS_AGE_KEY_FILE (${explicit})` };
  }
  const fallback = env.sopsAgeDefaultFile;
  if (fallback === undefined) return undefined;
  try {
    await access(fallback);
  } catch {
    return undefined;
  }
  return { read: () => readFile(fallback, "utf8"), source: fallback };
}

/** A key ring over the caller's keys, bounded by the target's `decryption.keys` when a targets file names them. */
export async function cliKeyRing(
  env: SopsEnv,
  target: Target,
  keys: TargetsFile["keys"] | undefined,
): Promise<KeyRing> {
  const age = await callerAgeKey(env);
  const bounded = target.decryption !== undefined;
  return createKeyRing({
    kms: {
      allowed: bounded
        ? allowedKeysOf(target, keys).flatMap((k) => (k.type === "kms" ? [{ name: k.name, arn: k.arn }] : []))
        : "any",
      keys: createKmsDataKeys(),
    },
    age: age === undefined ? [] : [{ name: "yours", identities: createAgeIdentities(age.read, age.source) }],
  });
}
