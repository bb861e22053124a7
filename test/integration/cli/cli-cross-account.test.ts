/**
 * `pullbridge sync --targets … --target web` reaches a targets file's EKS cluster as the worker
 * does — the cluster's role assumed with the caller's own AWS credentials (here the environment's,
 * read by the AWS SDK), DescribeCluster and the token signed with it — so a platform engineer can
 * check access to a cluster in another account before deploying. A real CLI process; STS is moto,
 * reached through the SDK's own `AWS_ENDPOINT_URL_STS`, EKS the multi-account fake.
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { pullbridge, withoutProgress } from "../../support/cli-process.ts";
import { type CrossAccountWorld, startCrossAccountWorld } from "../../support/cross-account.ts";
import { createTestNamespace, kubeConfigFor } from "../../support/kube.ts";
import { MOTO_CREDENTIALS } from "../../support/moto.ts";
import { assumedRoles } from "../../support/token-webhook.ts";

describe("the CLI reaches a cluster in another account as the worker does", () => {
  let world: CrossAccountWorld;
  let namespace: string;
  let dir: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    world = await startCrossAccountWorld([
      { key: "staging", account: "222222222222", region: "eu-west-1", externalId: "acme-staging" },
    ]);
    namespace = await createTestNamespace("cli-xacct");
    await world.grant(namespace, world.clusters.staging?.group ?? "");
    dir = await mkdtemp(join(tmpdir(), "pullbridge-cli-xacct-"));
    await mkdir(join(dir, "deploy"));
    await writeFile(join(dir, "deploy", "app.yaml"), configMapYaml("app", { color: "blue" }));
    const cluster = world.targetsClusters.staging ?? {};
    await writeFile(
      join(dir, "targets.yaml"),
      [
        "version: 1",
        "clusters:",
        `  staging: ${JSON.stringify(cluster)}`,
        "targets:",
        `  - { name: web, repo: acme/config, path: deploy, cluster: staging, namespace: ${namespace} }`,
        "",
      ].join("\n"),
    );
    // The caller's AWS configuration, as the SDK reads it; no kubeconfig at all.
    env = {
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL_STS: world.endpoints.sts,
      AWS_ENDPOINT_URL_EKS: world.endpoints.eks,
      KUBECONFIG: join(dir, "no-such-kubeconfig"),
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
    };
  });

  afterAll(async () => {
    await world.stop();
  });

  it("assumes the cluster's role with its external id, in a CLI session, and syncs", async () => {
    // Act
    const run = await pullbridge(["sync", ".", "--targets", "targets.yaml", "--target", "web"], {
      cwd: dir,
      env,
    });

    // Assess
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(0);
    const staging = world.clusters.staging;
    const sessions = (await assumedRoles(world.motoEndpoint)).filter((s) => s.role_arn === staging?.roleArn);
    expect(sessions.map((s) => [s.session_name, s.external_id])).toEqual([
      ["pullbridge-cli-staging", "acme-staging"],
    ]);
    expect(world.eks.calls.map((c) => [c.region, c.accessKeyId])).toEqual([
      ["eu-west-1", sessions[0]?.access_key_id],
    ]);
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    expect((await core.readNamespacedConfigMap({ namespace, name: "app" })).data).toEqual({ color: "blue" });
  });

  it("says which role could not be assumed, and exits 1", async () => {
    // Act: STS unreachable, as for a caller without network (a denial is tested with the worker)
    const run = await pullbridge(["diff", ".", "--targets", "targets.yaml", "--target", "web"], {
      cwd: dir,
      env: { ...env, AWS_ENDPOINT_URL_STS: "http://127.0.0.1:1", AWS_MAX_ATTEMPTS: "1" },
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `cannot assume role ${world.clusters.staging?.roleArn} for cluster "staging" (cli function)`,
    );
  });
});
