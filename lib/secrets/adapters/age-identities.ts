/**
 * age identities for SOPS data keys (the `age-encryption` library, the reference TypeScript
 * implementation): read from an identity file's text (`AGE-SECRET-KEY-1…` lines, `#` comments),
 * which the worker reads from SSM or Secrets Manager and the CLI from `SOPS_AGE_KEY_FILE`.
 * Loaded on first use. The text is a secret: never logged, never in a message.
 */
import { DecryptionError } from "../../errors.ts";
import type { AgeIdentities } from "../key-ring.ts";

let ageLib: Promise<typeof import("age-encryption")> | undefined;
const loadAge = () => {
  ageLib ??= import("age-encryption");
  return ageLib;
};

/** The identity lines of an age identity file (SOPS accepts several, one per line). */
export function ageIdentityLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("AGE-SECRET-KEY-"));
}

/**
 * age identities read once from `readText` (e.g. a secret reference) and cached; `source`
 * names where they come from in messages (`ssm:/pullbridge/age`, `$SOPS_AGE_KEY_FILE`).
 */
export function createAgeIdentities(readText: () => Promise<string>, source: string): AgeIdentities {
  let identities: Promise<string[]> | undefined;
  const load = () => {
    identities ??= readText().then((text) => {
      const lines = ageIdentityLines(text);
      if (lines.length === 0) {
        throw new DecryptionError("key-config", `${source} holds no age identity (AGE-SECRET-KEY-1…)`, {
          retryable: false,
        });
      }
      return lines;
    });
    // A failed read (throttled, not yet created) is tried again by the next job.
    void identities.catch(() => {
      identities = undefined;
    });
    return identities;
  };
  return {
    async recipients() {
      const [age, lines] = await Promise.all([loadAge(), load()]);
      try {
        return await Promise.all(lines.map((line) => age.identityToRecipient(line)));
      } catch (cause) {
        throw new DecryptionError("key-config", `${source} holds an invalid age identity`, {
          retryable: false,
          cause,
        });
      }
    },
    async decrypt({ armored, file }) {
      const [age, lines] = await Promise.all([loadAge(), load()]);
      const decrypter = new age.Decrypter();
      for (const line of lines) decrypter.addIdentity(line);
      try {
        return await decrypter.decrypt(age.armor.decode(armored));
      } catch (cause) {
        throw new DecryptionError(
          "wrong-key",
          `${file}: its data key does not decrypt with the age identity from ${source}`,
          {
            retryable: false,
            file,
            cause,
          },
        );
      }
    },
  };
}
