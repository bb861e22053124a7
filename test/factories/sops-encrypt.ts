/**
 * A small SOPS encryptor for property tests, which need files with values chosen at random: SOPS's
 * value format and MAC (AES-256-GCM with the key path as additional data; SHA-512 over the values
 * in order, stored encrypted with `lastmodified` as additional data) and an age-wrapped data key
 * for team A. Only for generating inputs: the committed fixtures, made by the real `sops`, are
 * what the decoder is checked against.
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { armor, Encrypter } from "age-encryption";
import { stringify } from "yaml";
import { AGE_TEAM_A } from "./sops.ts";

function encryptText(value: string, key: Uint8Array, additionalData: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(additionalData, "utf8"));
  const data = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${cipher.getAuthTag().toString("base64")},type:str]`;
}

/** `object` (string values only) SOPS-encrypted as `sops encrypt --encrypted-regex ^(data|stringData)$ --age <team A>` does. */
export async function encryptManifest(object: Record<string, unknown>): Promise<string> {
  const key = randomBytes(32);
  const hash = createHash("sha512");
  const walk = (value: unknown, path: string[]): unknown => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    if (typeof value !== "string") throw new Error("this encryptor takes string values only");
    hash.update(value, "utf8");
    const encrypted = path.some((p) => /^(data|stringData)$/.test(p));
    return encrypted && value !== "" ? encryptText(value, key, `${path.join(":")}:`) : value;
  };
  const body = walk(object, []) as Record<string, unknown>;
  const lastmodified = "2026-01-01T00:00:00Z";
  const encrypter = new Encrypter();
  encrypter.addRecipient(AGE_TEAM_A);
  // sops quotes the time, which Go's YAML would otherwise read as a timestamp and refuse.
  const text = stringify(
    {
      ...body,
      sops: {
        age: [{ recipient: AGE_TEAM_A, enc: armor.encode(await encrypter.encrypt(key)) }],
        lastmodified,
        mac: encryptText(hash.digest("hex").toUpperCase(), key, lastmodified),
        encrypted_regex: "^(data|stringData)$",
        version: "3.13.3",
      },
    },
    { lineWidth: 0 },
  );
  return text.replace(`lastmodified: ${lastmodified}`, `lastmodified: "${lastmodified}"`);
}
