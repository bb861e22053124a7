/**
 * The committed SOPS fixtures (test/fixtures/sops, made by the real `sops` binary: see its
 * generate.ts), the test age identities, and KMS re-wrapping for a fresh moto: a fixture's KMS
 * entry names the key of the moto that generated it, so a test creates its own key, encrypts the
 * file's data key with it (with the encryption context the file records) and swaps the entry's
 * `arn` and `enc`. The MAC and the values stay exactly as sops wrote them (the metadata is not
 * covered by the MAC).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateKeyCommand, EncryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { createAgeIdentities } from "../../lib/secrets/adapters/age-identities.ts";
import type { AgeIdentities } from "../../lib/secrets/key-ring.ts";
import { parseSopsFile } from "../../lib/secrets/sops/sops-document.ts";

export const SOPS_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/sops");

/** The recipient of team A's test identity (team B's is in test/fixtures/sops/age-team-b.txt). */
export const AGE_TEAM_A = "age184tphgjf947mjqfn6jvzf5ucxlgmdazrwvc77066ypr8ylcqkv0q8ccu5y";

/** A fixture's text. */
export function sopsFixture(name: string): string {
  return readFileSync(join(SOPS_FIXTURES, name), "utf8");
}

/** The text of a test identity file (`team-a`, `team-b`). */
export function ageIdentityText(team: "a" | "b"): string {
  return readFileSync(join(SOPS_FIXTURES, `age-team-${team}.txt`), "utf8");
}

/** age identities of a test team. */
export function testAgeIdentities(team: "a" | "b"): AgeIdentities {
  return createAgeIdentities(async () => ageIdentityText(team), `age-team-${team}.txt`);
}

/** What `sops decrypt` printed for each fixture (as JSON), when it was generated. */
export function expectedPlaintext(name: string): unknown {
  const expected = JSON.parse(sopsFixture("expected.json")) as { files: Record<string, unknown> };
  return expected.files[name];
}

/** The fixture's data key, recovered with team A's age identity. */
export async function fixtureDataKey(text: string, name = "fixture.yaml"): Promise<Uint8Array> {
  const document = parseSopsFile(name, text);
  const entry = document?.metadata.age[0];
  if (!entry) throw new Error(`${name} has no age entry`);
  return await testAgeIdentities("a").decrypt({ armored: entry.enc, file: name });
}

/** Creates a KMS key in moto; returns its ARN. */
export async function createTestKmsKey(kms: KMSClient): Promise<string> {
  const created = await kms.send(new CreateKeyCommand({ Description: "pullbridge test key" }));
  const arn = created.KeyMetadata?.Arn;
  if (!arn) throw new Error("moto created no key");
  return arn;
}

/**
 * The fixture with its KMS entry re-wrapped for `arn` (a key of this test's moto), and, with
 * `kmsOnly`, its age entry removed, so only KMS can open it.
 */
export async function rewrapForKms(
  text: string,
  options: { kms: KMSClient; arn: string; name?: string; kmsOnly?: boolean },
): Promise<string> {
  const name = options.name ?? "fixture.yaml";
  const document = parseSopsFile(name, text);
  const entry = document?.metadata.kms[0];
  if (!document || !entry) throw new Error(`${name} has no KMS entry`);
  const dataKey = await fixtureDataKey(text, name);
  const encrypted = await options.kms.send(
    new EncryptCommand({ KeyId: options.arn, Plaintext: dataKey, EncryptionContext: entry.context }),
  );
  const enc = Buffer.from(encrypted.CiphertextBlob ?? new Uint8Array()).toString("base64");
  let out = text.replaceAll(entry.enc, enc).replaceAll(entry.arn, options.arn);
  if (options.kmsOnly) out = withoutAgeEntry(out);
  return out;
}

/** A YAML fixture without its `sops.age` list (each document's). */
export function withoutAgeEntry(text: string): string {
  return text.replace(/^ {4}age:\n(?: {8}.*\n| {10}.*\n| {12}.*\n)+/gm, "");
}
