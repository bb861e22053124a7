/**
 * `pullbridge images plan` as a user runs it (child process, real files): what the AWS sample
 * ECR event would change in a checkout, by the targets file's policies — and that nothing is written.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ECR_WEB, markedDeployment } from "../../factories/images.ts";
import { createGitRepo } from "../../support/git-repo.ts";

const CLI = new URL("../../../functions/cli/main.ts", import.meta.url).pathname;
const SAMPLE = new URL("../../fixtures/images/ecr-image-push.json", import.meta.url).pathname;
const DOC_REPO = "123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name";

function pullbridge(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NO_COLOR: "1" };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env }, (error, stdout, stderr) => {
      resolve({ code: error && typeof error.code === "number" ? error.code : error ? 1 : 0, stdout, stderr });
    });
  });
}

const targetsYaml = (semver: string) => `version: 1
clusters:
  prod: { type: kubeconfig, source: default }
targets:
  - name: web-prod
    repo: acme/deploy
    path: apps/web
    cluster: prod
    namespace: web
    images:
      policies:
        - name: web
          repository: ${DOC_REPO}
          semver: "${semver}"
`;

describe("pullbridge images plan", () => {
  it("shows the field, the commit message and the diff an event would cause, writes nothing, exits 2", async () => {
    // Prepare
    const repo = await createGitRepo();
    const deployment = markedDeployment({ image: `${DOC_REPO}:1.4.1` });
    await repo.commitFiles({ "apps/web/deployment.yaml": deployment, "targets.yaml": targetsYaml("^1.0.0") });
    const head = await repo.head();

    // Act
    const result = await pullbridge(
      ["images", "plan", ".", "--targets", "targets.yaml", "--image", `${DOC_REPO}:1.5.0`],
      repo.dir,
    );
    const json = await pullbridge(
      ["images", "plan", "--targets", "targets.yaml", "--image", `${DOC_REPO}:1.5.0`, "-o", "json"],
      repo.dir,
    );

    // Assess
    expect(result.stderr).toBe("");
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      `apps/web/deployment.yaml:16  web  ${DOC_REPO}:1.4.1 → ${DOC_REPO}:1.5.0`,
    );
    expect(result.stdout).toContain("    web: 1.4.1 → 1.5.0 (ECR push)");
    expect(result.stdout).toContain(`-          image: ${DOC_REPO}:1.4.1 # {"$imagepolicy": "web"}`);
    expect(result.stdout).toContain(`+          image: ${DOC_REPO}:1.5.0 # {"$imagepolicy": "web"}`);
    const files = (JSON.parse(json.stdout) as { jobs: { files: { path: string; after: string }[] }[] })
      .jobs[0]?.files;
    expect(files).toEqual([
      {
        path: "apps/web/deployment.yaml",
        before: deployment,
        after: deployment.replace(":1.4.1 #", ":1.5.0 #"),
      },
    ]);
    expect(await readFile(`${repo.dir}/apps/web/deployment.yaml`, "utf8")).toBe(deployment);
    expect(await repo.git("status", "--porcelain")).toBe("");
    expect(await repo.head()).toBe(head);
    await repo.remove();
  });

  it("reads AWS's sample ECR event: tag `latest` is outside a semver policy, so nothing changes (exit 0)", async () => {
    // Prepare
    const repo = await createGitRepo();
    await repo.commitFiles({
      "apps/web/deployment.yaml": markedDeployment({ image: `${DOC_REPO}:1.4.1` }),
      "targets.yaml": targetsYaml("*"),
    });

    // Act
    const result = await pullbridge(
      ["images", "plan", "--targets", "targets.yaml", "--event", SAMPLE],
      repo.dir,
    );
    const otherAccount = "999999999999.dkr.ecr.us-west-2.amazonaws.com/my-repository-name:1.5.0";
    const other = await pullbridge(
      ["images", "plan", "--targets", "targets.yaml", "--image", otherAccount],
      repo.dir,
    );
    const unknown = await pullbridge(
      ["images", "plan", "--targets", "targets.yaml", "--image", `${ECR_WEB}:1.5.0`],
      repo.dir,
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("nothing to change");
    expect(result.stdout).toContain(
      "left alone: apps/web/deployment.yaml:16: tag latest does not match policy web (semver range *)",
    );
    expect(other).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("event rejected (account-not-allowed)"),
    });
    expect(unknown).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("event rejected (unknown-repository)"),
    });
    await repo.remove();
  });
});
