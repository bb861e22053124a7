/**
 * `pullbridge diff` on a directory of SOPS-encrypted manifests, as a person runs it: a real CLI
 * process decrypting with the caller's own keys — their age identity file (`SOPS_AGE_KEY_FILE`,
 * as sops reads it) or their AWS credentials against moto's KMS — and saying plainly why not when
 * they hold no key. Decrypted values never appear in its output.
 */
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { describe, expect, inject, it } from "vitest";
import { createTestKmsKey, rewrapForKms, SOPS_FIXTURES, sopsFixture } from "../../factories/sops.ts";
import { pullbridge, withoutProgress } from "../../support/cli-process.ts";
import { createGitRepo } from "../../support/git-repo.ts";
import { createTestNamespace, grantWorker } from "../../support/kube.ts";
import { MOTO_CREDENTIALS, MOTO_REGION } from "../../support/moto.ts";

const PLAINTEXTS = ["s3cr3t-P4ssw0rd-first", "app-user", "ak-8f3b2c9d4e5f6a7b"];

async function prepare(files: Record<string, string>) {
  const namespace = await createTestNamespace("cli-sops");
  await grantWorker(namespace);
  const repo = await createGitRepo();
  await repo.commitFiles(files, "encrypted manifests");
  const kubeconfig = join(inject("controlPlane").dir, "worker.kubeconfig");
  return { repo, flags: ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig] };
}

/** No AWS credentials and no age key of the developer's machine leak into the test. */
const isolated = {
  SOPS_AGE_KEY: undefined,
  SOPS_AGE_KEY_FILE: undefined,
  XDG_CONFIG_HOME: "/nonexistent/pullbridge-test-config",
  AWS_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
};

describe("pullbridge diff on SOPS-encrypted manifests", () => {
  it("decrypts with the caller's age key (SOPS_AGE_KEY_FILE) and shows only which keys change", async () => {
    // Prepare
    const { repo, flags } = await prepare({
      "deploy/secret.yaml": sopsFixture("secret.enc.yaml"),
      "deploy/settings.yaml": sopsFixture("configmap.enc.yaml"),
    });

    // Act
    const run = await pullbridge(["diff", "deploy", ...flags], {
      cwd: repo.dir,
      env: { ...isolated, SOPS_AGE_KEY_FILE: join(SOPS_FIXTURES, "age-team-a.txt") },
    });

    // Assess
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("Plan: 2 to create");
    expect(run.stdout).toContain("apiKey:");
    for (const value of PLAINTEXTS) expect(run.stdout).not.toContain(value);
  });

  it("decrypts with the caller's AWS credentials through KMS", async () => {
    // Prepare
    const kms = new KMSClient({
      endpoint: inject("motoEndpoint"),
      region: MOTO_REGION,
      credentials: MOTO_CREDENTIALS,
    });
    const arn = await createTestKmsKey(kms);
    const file = await rewrapForKms(sopsFixture("secret.enc.yaml"), { kms, arn, kmsOnly: true });
    const { repo, flags } = await prepare({ "deploy/secret.yaml": file });

    // Act
    const run = await pullbridge(["diff", "deploy", ...flags, "--output", "json"], {
      cwd: repo.dir,
      env: {
        ...isolated,
        AWS_ENDPOINT_URL: inject("motoEndpoint"),
        AWS_REGION: MOTO_REGION,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      },
    });

    // Assess
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('"created"');
    for (const value of PLAINTEXTS) expect(run.stdout).not.toContain(value);
  });

  it("says which file and which keys, when the caller holds none of them", async () => {
    // Prepare
    const { repo, flags } = await prepare({ "deploy/secret.yaml": sopsFixture("secret-team-b.enc.yaml") });

    // Act
    const run = await pullbridge(["diff", "deploy", ...flags], {
      cwd: repo.dir,
      env: { ...isolated, SOPS_AGE_KEY_FILE: join(SOPS_FIXTURES, "age-team-a.txt") },
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("deploy/secret.yaml");
    expect(run.stderr).toContain("age recipient age15w75");
    expect(run.stderr).toContain("none of which");
  });
});
