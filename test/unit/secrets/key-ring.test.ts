import { describe, expect, it } from "vitest";
import { allowedKeysOf, createKeyRing } from "../../../lib/secrets/key-ring.ts";
import { parseSopsFile } from "../../../lib/secrets/sops/sops-document.ts";
import { sopsFixture, testAgeIdentities } from "../../factories/sops.ts";

const metadataOf = (name: string) => {
  const document = parseSopsFile(name, sopsFixture(name));
  if (!document) throw new Error(`${name} is not SOPS`);
  return document.metadata;
};
const noKms = { decrypt: () => Promise.reject(new Error("no KMS in this test")) };

describe("key rings", () => {
  it("use a team's age key only for files encrypted for it", async () => {
    // Prepare
    const ring = createKeyRing({
      kms: { allowed: [], keys: noKms },
      age: [{ name: "team-a", identities: testAgeIdentities("a") }],
    });

    // Act
    const mine = await ring.usable(metadataOf("secret.enc.yaml"));
    const theirs = await ring.usable(metadataOf("secret-team-b.enc.yaml"));

    // Assess
    expect(mine.map((u) => [u.type, u.keyName])).toEqual([["age", "team-a"]]);
    expect(theirs).toEqual([]);
  });

  it("use a KMS entry only when the stack file allows its exact ARN, ignoring the role a file names", async () => {
    // Prepare
    const metadata = metadataOf("secret.enc.yaml");
    const fileArn = metadata.kms[0]?.arn ?? "";
    const withRole = {
      ...metadata,
      kms: metadata.kms.map((k) => ({ ...k, role: "arn:aws:iam::999999999999:role/evil" })),
    };
    const allowed = createKeyRing({ kms: { allowed: [{ name: "k", arn: fileArn }], keys: noKms }, age: [] });
    const other = createKeyRing({
      kms: { allowed: [{ name: "k", arn: `${fileArn.slice(0, -1)}0` }], keys: noKms },
      age: [],
    });

    // Act
    const usable = await allowed.usable(withRole);
    const refused = await other.usable(withRole);

    // Assess
    expect(usable.map((u) => u.keyName)).toEqual(["k"]);
    expect(refused).toEqual([]);
  });

  it("are bounded by the target's decryption.keys", () => {
    // Act
    const keys = allowedKeysOf(
      { decryption: { keys: ["a"] } },
      {
        a: { type: "age", privateKey: "ssm:/a" },
        b: { type: "kms", arn: "arn:aws:kms:eu-west-1:111122223333:key/b" },
      },
    );

    // Assess
    expect(keys.map((k) => k.name)).toEqual(["a"]);
  });
});
