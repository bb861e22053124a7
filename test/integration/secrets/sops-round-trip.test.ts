/**
 * Round trip with the real `sops` binary (pinned, built and cached by test/support/sops/build-sops.sh,
 * which .ci/run calls): for values chosen at random, `sops encrypt` (age, and KMS on this run's
 * moto with an encryption context) writes the file, and the one loader the worker and the CLI use
 * must verify its MAC and decrypt it to exactly what `sops decrypt` prints. The other way round,
 * the small encryptor the property tests use (test/factories/sops-encrypt.ts) must write files the
 * real sops opens. The committed fixtures cover the formats; this covers values no one picked.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stringify } from "yaml";
import { loadTargetObjects } from "../../../lib/app/load-target-objects.ts";
import { ManifestSetError } from "../../../lib/errors.ts";
import { createKmsDataKeys } from "../../../lib/secrets/adapters/kms-data-keys.ts";
import { createKeyRing } from "../../../lib/secrets/key-ring.ts";
import { createSecretValues } from "../../../lib/secrets/secret-values.ts";
import { AGE_TEAM_A, createTestKmsKey, SOPS_FIXTURES, testAgeIdentities } from "../../factories/sops.ts";
import { encryptManifest } from "../../factories/sops-encrypt.ts";
import { aTarget } from "../../factories/sync.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";
import { sopsBinary } from "../../support/sops.ts";

let sops: string;
let kms: KMSClient;
let arn: string;
let dir: string;

beforeAll(async () => {
  sops = sopsBinary();
  kms = new KMSClient({
    endpoint: inject("motoEndpoint"),
    region: MOTO_REGION,
    credentials: MOTO_CREDENTIALS,
  });
  arn = await createTestKmsKey(kms);
  dir = mkdtempSync(join(tmpdir(), "pullbridge-sops-round-trip-"));
}, 1_200_000);
afterAll(() => {
  kms?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** sops with this run's moto as its KMS and team A's identity, and nothing of the caller's environment. */
function runSops(args: string[]): string {
  return execFileSync(sops, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      AWS_ENDPOINT_URL: inject("motoEndpoint"),
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      AWS_REGION: MOTO_REGION,
      SOPS_AGE_KEY_FILE: join(SOPS_FIXTURES, "age-team-a.txt"),
    },
  });
}

/** Secret data keys as Kubernetes allows them. */
const dataKey = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,15}$/);
/** Values as people store them: any text (also empty, multi-line, non-ASCII), digits, PEM-like blocks. */
const dataValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.stringMatching(/^[0-9]{1,12}$/),
  fc
    .array(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 2, maxLength: 4 })
    .map((l) => l.join("\n")),
);
/** The encryption rules SOPS configs written for Flux use, and the keys the file is encrypted for. */
const rules = fc.constantFrom(
  { flags: ["--encrypted-regex", "^(data|stringData)$"] },
  { flags: ["--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"] },
  {
    flags: [],
    config: "creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    mac_only_encrypted: true\n",
  },
);
const keysFor = fc.constantFrom("age", "kms", "both");

describe("the real sops and our decoder", () => {
  it("decrypt every file sops encrypts to what sops decrypts", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(dataKey, dataValue, { minKeys: 1, maxKeys: 5 }),
        fc.string({ maxLength: 20 }),
        rules,
        keysFor,
        async (stringData, label, rule, keys) => {
          // Prepare
          run += 1;
          const plain = join(dir, `secret-${run}.yaml`);
          const encrypted = join(dir, `secret-${run}.enc.yaml`);
          writeFileSync(
            plain,
            stringify({
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: "app", labels: { note: label } },
              type: "Opaque",
              stringData,
            }),
          );
          const config = rule.config === undefined ? [] : ["--config", join(dir, `sops-${run}.yaml`)];
          if (rule.config !== undefined) writeFileSync(join(dir, `sops-${run}.yaml`), rule.config);
          runSops([
            ...config,
            "encrypt",
            ...(keys === "kms" ? [] : ["--age", AGE_TEAM_A]),
            ...(keys === "age" ? [] : ["--kms", arn, "--encryption-context", "team:a,env:prod"]),
            ...rule.flags,
            "--output",
            encrypted,
            plain,
          ]);
          const text = runSops(["decrypt", "--output-type", "json", encrypted]);
          const committed = readFileSync(encrypted);
          const expected = JSON.parse(text) as Record<string, unknown>;
          const values = createSecretValues();
          const ring = createKeyRing({
            kms: {
              allowed: [{ name: "team-a-kms", arn }],
              keys: createKmsDataKeys({ clientFor: () => kms }),
            },
            age: keys === "kms" ? [] : [{ name: "team-a-age", identities: testAgeIdentities("a") }],
          });

          // Act
          const loaded = await loadTargetObjects(
            {
              readTree: async () => new Map([["deploy/secret.enc.yaml", committed]]),
              capabilities: async () => undefined,
              secrets: { mode: "decrypt", keys: ring, values },
            },
            aTarget("web", { path: "deploy" }),
          );

          // Assess
          const [desired] = loaded.desired;
          const { annotations: _digests, ...metadata } = (desired?.object.metadata ?? {}) as Record<
            string,
            unknown
          >;
          expect({ ...desired?.object, metadata }).toEqual(expected);
          for (const value of Object.values(stringData)) {
            if (value.trim().length >= 4) expect(values.redact(`x ${value} x`)).not.toContain(value);
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it("refuses a manifest whose apiVersion, kind or metadata sops encrypted, naming the file and field", async () => {
    // Prepare
    const plain = join(dir, "whole.yaml");
    writeFileSync(
      plain,
      stringify({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "app" },
        stringData: { password: "pw-0123456789" },
      }),
    );
    const encrypt = (name: string, flags: string[]) => {
      const out = join(dir, name);
      runSops(["encrypt", "--age", AGE_TEAM_A, ...flags, "--output", out, plain]);
      return readFileSync(out);
    };
    const load = (name: string, flags: string[]) =>
      loadTargetObjects(
        {
          readTree: async () => new Map([[`deploy/${name}`, encrypt(name, flags)]]),
          capabilities: async () => undefined,
          secrets: {
            mode: "decrypt",
            keys: createKeyRing({
              kms: { allowed: [], keys: createKmsDataKeys({ clientFor: () => kms }) },
              age: [{ name: "team-a-age", identities: testAgeIdentities("a") }],
            }),
            values: createSecretValues(),
          },
        },
        aTarget("web", { path: "deploy" }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
    const rule =
      "apiVersion, kind and metadata must stay plaintext — encrypt with encrypted_regex: ^(data|stringData)$ (as for Flux)";

    // Act
    // sops's default: every value encrypted.
    const whole = await load("whole.enc.yaml", []);
    const named = await load("named.enc.yaml", ["--encrypted-regex", "^(metadata|stringData)$"]);

    // Assess
    expect(whole).toBeInstanceOf(ManifestSetError);
    expect((whole as Error).message).toBe(`deploy/whole.enc.yaml (document 1): encrypts apiVersion: ${rule}`);
    expect(named).toBeInstanceOf(ManifestSetError);
    expect((named as Error).message).toBe(
      `deploy/named.enc.yaml (document 1): encrypts metadata.name: ${rule}`,
    );
  });

  it("opens what the property tests' encryptor writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(dataKey, fc.string({ maxLength: 40 }), { minKeys: 1 }), async (data) => {
        // Prepare
        const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data };
        const path = join(dir, "factory.enc.yaml");
        writeFileSync(path, await encryptManifest(object));

        // Act
        const decrypted = JSON.parse(runSops(["decrypt", "--output-type", "json", path]));

        // Assess
        expect(decrypted).toEqual(object);
      }),
      { numRuns: 8 },
    );
  });
});
