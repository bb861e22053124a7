/**
 * The `pullbridge` CLI as a user runs it: a real process (`node functions/cli/main.ts`) against
 * the shared kube-apiserver, acting as the namespaced worker identity through a kubeconfig file.
 * Exit codes follow `kubectl diff`: 0 no changes, 2 changes, 1 error.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { createGitHubDeploymentReporter } from "../../../lib/reporting/adapters/github-deployment-reporter.ts";
import { TEST_TOKEN } from "../../factories/github.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { closedPortUrl } from "../../factories/webhook-lambda.ts";
import { pullbridge, withoutProgress } from "../../support/cli-process.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";
import { startGitHubWorld } from "../../support/github-fake/github-world.ts";
import { createTestNamespace, grantWorker, kubeConfigFor, uniqueName } from "../../support/kube.ts";

const configMap = (name: string, color: string) => configMapYaml(name, { color });

/** A namespace the worker identity may manage, and a git repository with `deploy/` manifests. */
async function prepare(
  files: Record<string, string>,
): Promise<{ namespace: string; repo: GitRepo; kubeconfig: string }> {
  const namespace = await createTestNamespace("cli");
  await grantWorker(namespace);
  const repo = await createGitRepo();
  await repo.commitFiles(files, "manifests");
  return { namespace, repo, kubeconfig: join(inject("controlPlane").dir, "worker.kubeconfig") };
}

async function secretExists(namespace: string, name: string): Promise<boolean> {
  try {
    await kubeConfigFor("admin").makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name });
    return true;
  } catch {
    return false;
  }
}

async function configMapColor(namespace: string, name: string): Promise<string | undefined> {
  try {
    return (
      await kubeConfigFor("admin").makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace, name })
    ).data?.color;
  } catch {
    return undefined;
  }
}

describe("pullbridge diff / sync", () => {
  it("exits 2 with a plan when objects would change, and creates nothing", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });

    // Act
    const run = await pullbridge(
      ["diff", "deploy", "-n", namespace, "--target", "web", "--kubeconfig", kubeconfig],
      { cwd: repo.dir },
    );

    // Assess
    expect(withoutProgress(run.stderr)).toBe("");
    expect(run.code).toBe(2);
    expect(run.stdout).toContain(`+ ConfigMap ${namespace}/app  deploy/app.yaml:1`);
    expect(run.stdout).toContain("+  color: blue");
    expect(run.stdout).toContain("Plan: 1 to create, 0 unchanged");
    expect(run.stdout).not.toContain("\u001b[");
    expect(await configMapColor(namespace, "app")).toBeUndefined();
  });

  it("syncs (exit 0), after which diff reports no changes (exit 0) and status shows the commit", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    const head = await repo.head();
    const flags = ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig];

    // Act
    const sync = await pullbridge(["sync", "deploy", ...flags], { cwd: repo.dir });
    const diff = await pullbridge(["diff", "deploy", ...flags], { cwd: repo.dir });
    const status = await pullbridge(["status", "-n", namespace, "--kubeconfig", kubeconfig, "-o", "json"], {
      cwd: repo.dir,
    });

    // Assess
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain(`Synced ${head.slice(0, 7)}: 1 created, 0 unchanged`);
    expect(await configMapColor(namespace, "app")).toBe("blue");
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain("No changes: 1 unchanged");
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({
      targets: [
        {
          target: "web",
          namespace,
          parent: "pullbridge-web",
          state: "synced",
          applySetId: expect.stringMatching(/^applyset-[A-Za-z0-9_-]{43}-v1$/),
          lastSync: {
            sha: head,
            time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            counts: { created: 1, updated: 0, unchanged: 0, pruned: 0, skipped: 0 },
          },
          groupKinds: ["ConfigMap"],
          additionalNamespaces: [],
          // A ConfigMap has no status to report: nothing is read for it.
          health: { verdict: null, objects: [], error: null },
          deployment: null,
          error: null,
        },
      ],
    });
  });

  it("prints an update and a prune as JSON with --output json (exit 2)", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({
      "deploy/app.yaml": configMap("app", "blue"),
      "deploy/old.yaml": configMap("old", "grey"),
    });
    const flags = ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig];
    expect((await pullbridge(["sync", "deploy", ...flags], { cwd: repo.dir })).code).toBe(0);
    await repo.write({ "deploy/app.yaml": configMap("app", "green"), "deploy/old.yaml": null });

    // Act
    const run = await pullbridge(["diff", "deploy", ...flags, "--output", "json"], { cwd: repo.dir });

    // Assess
    expect(run.code).toBe(2);
    const plan = JSON.parse(run.stdout);
    expect(plan).toMatchObject({
      target: "web",
      namespace,
      mode: "plan",
      revision: `${await repo.head()}+dirty`,
      changed: true,
      counts: { created: 0, updated: 1, unchanged: 0, pruned: 1, skipped: 0 },
    });
    expect(plan.objects).toEqual([
      expect.objectContaining({
        object: `ConfigMap ${namespace}/app`,
        outcome: "updated",
        source: "deploy/app.yaml:1:1",
        diff: expect.stringContaining("-  color: blue\n+  color: green"),
      }),
      expect.objectContaining({ object: `ConfigMap ${namespace}/old`, outcome: "pruned", source: null }),
    ]);
    expect(await configMapColor(namespace, "old")).toBe("grey");
  });

  it("lists the files it did not read (an unsupported extension) in text and JSON", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({
      "deploy/app.yaml": configMap("app", "blue"),
      "deploy/notes.txt": "not yaml\n",
    });
    const flags = ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig];

    // Act
    const text = await pullbridge(["diff", "deploy", ...flags], { cwd: repo.dir });
    const json = await pullbridge(["diff", "deploy", ...flags, "--output", "json"], { cwd: repo.dir });

    // Assess
    expect(text.code).toBe(2);
    expect(text.stdout).toContain("1 file skipped:\n  deploy/notes.txt — not a manifest");
    expect(JSON.parse(json.stdout).skipped).toEqual([
      { path: "deploy/notes.txt", reason: expect.stringContaining("not a manifest") },
    ]);
  });

  it("refuses a symbolic link out of the directory it reads, naming it, rather than skipping what it defines", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({
      "deploy/app.yaml": configMap("app", "blue"),
      "shared/db.yaml": configMap("db", "grey"),
    });
    await repo.symlink("deploy/db.yaml", "../shared/db.yaml");
    await repo.symlink("deploy/inside.yaml", "app.yaml");

    // Act
    const run = await pullbridge(
      ["diff", "deploy", "-n", namespace, "--target", "web", "--kubeconfig", kubeconfig],
      {
        cwd: repo.dir,
      },
    );

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "deploy/db.yaml: symbolic link to ../shared/db.yaml points to shared/db.yaml, outside the target's path and watch paths (deploy)",
    );
    expect(run.stderr).not.toContain("deploy/inside.yaml");
  });

  it("colours the diff when FORCE_COLOR is set, and never when NO_COLOR is", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    const args = ["diff", "deploy", "-n", namespace, "--kubeconfig", kubeconfig];

    // Act
    const forced = await pullbridge(args, { cwd: repo.dir, env: { FORCE_COLOR: "1" } });
    const both = await pullbridge(args, { cwd: repo.dir, env: { FORCE_COLOR: "1", NO_COLOR: "1" } });

    // Assess
    expect(forced.stdout).toContain("\u001b[32m+  color: blue\u001b[39m");
    expect(both.stdout).not.toContain("\u001b[");
  });

  it("a later wave refused by its own dry-run after an earlier wave was applied is a partial sync naming both", async () => {
    // Prepare: wave 1's Service passes loading but not the API server's validation (port > 65535).
    const service = [
      "apiVersion: v1",
      "kind: Service",
      "metadata:",
      "  name: web",
      "  annotations:",
      '    pullbridge.dev/wave: "1"',
      "spec:",
      "  selector: { app: web }",
      "  ports:",
      "    - port: 70000",
      "",
    ].join("\n");
    const { namespace, repo, kubeconfig } = await prepare({
      "deploy/app.yaml": configMap("app", "blue"),
      "deploy/service.yaml": service,
    });

    // Act
    const run = await pullbridge(
      ["sync", "deploy", "--target", "web", "-n", namespace, "--kubeconfig", kubeconfig],
      {
        cwd: repo.dir,
      },
    );

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/wave 1: .*Service .*web/);
    expect(run.stderr).toContain("applied before it: wave 0");
    expect(await configMapColor(namespace, "app")).toBe("blue");
    const services = await kubeConfigFor("admin")
      .makeApiClient(CoreV1Api)
      .listNamespacedService({ namespace });
    expect(services.items).toEqual([]);
  });
});

describe("a one-off sync without a targets file", () => {
  it("refuses a directory without manifests, naming what it skipped, and writes nothing; --allow-empty syncs it", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({
      "deploy/main.jsonnet": "{ apiVersion: 'v1', kind: 'ConfigMap' }\n",
      "deploy/lib/util.libsonnet": "{}\n",
    });
    const flags = ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig];

    // Act
    const refused = await pullbridge(["sync", "deploy", ...flags], { cwd: repo.dir });
    const parentAfterRefusal = await secretExists(namespace, "pullbridge-web");
    const allowed = await pullbridge(["sync", "deploy", ...flags, "--allow-empty"], { cwd: repo.dir });

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      "error: no manifests in deploy; 2 files skipped: deploy/lib/util.libsonnet (not a manifest (only .yaml, .yml and .json files are read)), deploy/main.jsonnet (not a manifest (only .yaml, .yml and .json files are read)); refusing to sync target web to nothing (set allowEmpty: true on the target, or pass --allow-empty to pullbridge, if it may be empty)\n",
    );
    expect(parentAfterRefusal).toBe(false);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain("0 unchanged");
  });

  it("--cluster-scoped syncs a directory that brings its own Namespace (refused without it, naming the flag)", async () => {
    // Prepare
    const own = uniqueName("cli-own");
    const repo = await createGitRepo();
    await repo.commitFiles({
      "shop/namespace.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${own}\n`,
      "shop/app.yaml": configMap("app", "blue"),
    });
    const admin = join(inject("controlPlane").dir, "admin.kubeconfig");
    const flags = ["-n", own, "--target", "shop", "--kubeconfig", admin];

    // Act
    const refused = await pullbridge(["sync", "shop", ...flags], { cwd: repo.dir });
    const synced = await pullbridge(["sync", "shop", ...flags, "--cluster-scoped"], { cwd: repo.dir });
    const again = await pullbridge(["diff", "shop", ...flags, "--cluster-scoped"], { cwd: repo.dir });

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `cluster-scoped Namespace is not allowed for this target (policy.clusterScoped is false)`,
    );
    expect(refused.stderr).toContain(
      "hint: --cluster-scoped allows cluster-scoped objects (policy.clusterScoped)",
    );
    expect(withoutProgress(synced.stderr)).toBe("");
    expect(synced.code).toBe(0);
    expect(synced.stdout).toContain("2 created");
    expect(await configMapColor(own, "app")).toBe("blue");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes: 2 unchanged");
  });

  it("--allow-namespace lets objects live in a second namespace; --adopt takes over what kubectl created", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    const second = await createTestNamespace("cli-second");
    await grantWorker(second);
    await repo.commitFiles({
      "deploy/db.yaml": configMap("db", "grey").replace("metadata:\n", `metadata:\n  namespace: ${second}\n`),
    });
    await kubeConfigFor("admin")
      .makeApiClient(CoreV1Api)
      .createNamespacedConfigMap({ namespace, body: { metadata: { name: "app" }, data: { color: "red" } } });
    const flags = ["-n", namespace, "--target", "web", "--kubeconfig", kubeconfig];

    // Act
    const outside = await pullbridge(["sync", "deploy", ...flags], { cwd: repo.dir });
    const foreign = await pullbridge(["sync", "deploy", ...flags, "--allow-namespace", second], {
      cwd: repo.dir,
    });
    const adopted = await pullbridge(["sync", "deploy", ...flags, "--allow-namespace", second, "--adopt"], {
      cwd: repo.dir,
    });

    // Assess
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("hint: --allow-namespace <ns> allows objects in another namespace");
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain("set adopt: true on the target to take it over");
    expect(foreign.stderr).toContain("hint: --adopt takes over objects that are in no ApplySet yet (adopt)");
    expect(withoutProgress(adopted.stderr)).toBe("");
    expect(adopted.code).toBe(0);
    expect(await configMapColor(namespace, "app")).toBe("blue");
    expect(await configMapColor(second, "db")).toBe("grey");
  });

  it("refuses policy flags beside --targets, whose target has its own policy", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "pullbridge-targets-"));
    await writeFile(
      join(dir, "targets.yaml"),
      "version: 1\nclusters: { c: { type: eks, name: c } }\ntargets:\n  - { name: web, repo: acme/config, cluster: c, namespace: web }\n",
    );

    // Act
    const run = await pullbridge(["render", ".", "--targets", "targets.yaml", "--cluster-scoped"], {
      cwd: dir,
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "error: --cluster-scoped: comes from the targets file when --targets is given; drop one of them\n",
    );
  });
});

describe("pullbridge errors", () => {
  it("names every broken manifest by file:line and exits 1", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({
      "deploy/app.yaml": configMap("app", "blue"),
      "deploy/bad.yaml": [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: x",
        "  namespace: elsewhere",
        "",
      ].join("\n"),
    });

    // Act
    const run = await pullbridge(["diff", "deploy", "-n", namespace, "--kubeconfig", kubeconfig], {
      cwd: repo.dir,
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toEqual([
      `error: deploy/bad.yaml:5:3 (document 1): namespace "elsewhere" is not allowed for this target (allowed: ${namespace})`,
      "hint: --allow-namespace <ns> allows objects in another namespace (policy.namespaces)",
    ]);
  });

  it("says the cluster is unreachable in one line and exits 1", async () => {
    // Prepare
    const { repo } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    const server = (await closedPortUrl()).replace("http:", "https:");
    const dir = await mkdtemp(join(tmpdir(), "pullbridge-cli-"));
    const kubeconfig = join(dir, "dead.kubeconfig");
    const worker = inject("controlPlane").worker;
    await writeFile(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true\nusers:\n- name: w\n  user:\n    token: ${worker.token}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: w}\ncurrent-context: dead\n`,
    );

    // Act
    const run = await pullbridge(["diff", "deploy", "--kubeconfig", kubeconfig, "-o", "json"], {
      cwd: repo.dir,
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(new RegExp(`^error: cannot reach the cluster at ${server}: .*ECONNREFUSED`)),
    ]);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { kind: "ClusterError", message: expect.stringContaining("cannot reach the cluster") },
    });
  });

  it("explains that no cluster is configured when there is no kubeconfig at all", async () => {
    // Prepare
    const { repo } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    const home = await mkdtemp(join(tmpdir(), "pullbridge-home-"));

    // Act
    const run = await pullbridge(["diff", "deploy"], {
      cwd: repo.dir,
      env: { KUBECONFIG: undefined, HOME: home },
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "no cluster configured: $KUBECONFIG is unset and ~/.kube/config does not exist",
    );
  });

  it("reports the API server's refusal when the identity has no rights in the namespace", async () => {
    // Prepare
    const namespace = await createTestNamespace("cli-denied");
    const repo = await createGitRepo();
    await repo.commitFiles({ "deploy/app.yaml": configMap("app", "blue") });
    const kubeconfig = join(inject("controlPlane").dir, "worker.kubeconfig");

    // Act
    const run = await pullbridge(["sync", "deploy", "-n", namespace, "--kubeconfig", kubeconfig], {
      cwd: repo.dir,
    });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*403 Forbidden: .*pullbridge-worker/);
    expect(await configMapColor(namespace, "app")).toBeUndefined();
  });
});

describe("pullbridge inventory repair", () => {
  it("previews (exit 2, writes nothing), rebuilds a deleted parent from its members (exit 0), then finds it sound", async () => {
    // Prepare: synced by the worker identity, whose rights end at a few API groups in one namespace.
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    const flags = ["--target", "web", "-n", namespace, "--kubeconfig", kubeconfig];
    await pullbridge(["sync", "deploy", ...flags], { cwd: repo.dir });
    const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
    await core.deleteNamespacedSecret({ namespace, name: "pullbridge-web" });
    const parentExists = () =>
      core.readNamespacedSecret({ namespace, name: "pullbridge-web" }).then(
        () => true,
        () => false,
      );

    // Act
    const preview = await pullbridge(["inventory", "repair", ...flags, "--dry-run"], { cwd: repo.dir });
    const existsAfterPreview = await parentExists();
    const repaired = await pullbridge(["inventory", "repair", ...flags, "-o", "json"], { cwd: repo.dir });
    const again = await pullbridge(["inventory", "repair", ...flags], { cwd: repo.dir });

    // Assess
    expect(preview.stderr).toBe("");
    expect(preview.code).toBe(2);
    expect(preview.stdout).toContain(`ApplySet parent Secret ${namespace}/pullbridge-web (applyset-`);
    expect(preview.stdout).toContain("found:    missing (deleted, or never synced)");
    expect(preview.stdout).toMatch(
      /members: {2}1 labelled applyset\.kubernetes\.io\/part-of=applyset-\S+ \(ConfigMap; namespace\(s\) /,
    );
    // Kinds outside the worker's API groups cannot be listed: named, not fatal.
    expect(preview.stdout).toMatch(
      /unread: {3}\d+ kind\(s\) could not be listed; members of them, if any, stay unlisted:/,
    );
    expect(preview.stdout).toContain(`- Lease.coordination.k8s.io in ${namespace}: 403 Forbidden\n`);
    expect(preview.stdout).toContain(
      "Would write the parent listing ConfigMap (dry run: nothing was changed).",
    );
    expect(existsAfterPreview).toBe(false);
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toMatchObject({
      target: "web",
      state: "missing",
      action: "written",
      members: { count: 1, groupKinds: ["ConfigMap"], namespaces: [namespace] },
    });
    expect(await parentExists()).toBe(true);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("found:    sound");
    expect(again.stdout).toContain("Nothing to repair.");
  });
});

describe("pullbridge status and targets validate", () => {
  it("lists pullbridge's targets in a namespace as a table", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    await pullbridge(["sync", "deploy", "-n", namespace, "--target", "web", "--kubeconfig", kubeconfig], {
      cwd: repo.dir,
    });

    // Act
    const run = await pullbridge(["status", "-n", namespace, "--kubeconfig", kubeconfig], { cwd: repo.dir });

    // Assess
    expect(run.code).toBe(0);
    const [header, row, ...rest] = run.stdout.trim().split("\n");
    expect(header).toMatch(
      /^TARGET\s+NAMESPACE\s+STATE\s+REVISION\s+SYNCED AT\s+AGE\s+LAST CHANGES\s+HEALTH\s+KINDS$/,
    );
    expect(row).toMatch(
      new RegExp(
        `^web\\s+${namespace}\\s+synced\\s+${(await repo.head()).slice(0, 7)}\\s+\\S+Z\\s+\\d+s\\s+\\+1 ~0 -0 =0\\s+-\\s+ConfigMap$`,
      ),
    );
    expect(rest).toEqual([]);
  });

  it("shows each target's last GitHub Deployment when given a targets file and a token", async () => {
    // Prepare
    const { namespace, repo, kubeconfig } = await prepare({ "deploy/app.yaml": configMap("app", "blue") });
    await pullbridge(["sync", "deploy", "-n", namespace, "--target", "web", "--kubeconfig", kubeconfig], {
      cwd: repo.dir,
    });
    const world = await startGitHubWorld({ mode: "token" });
    try {
      const sha = await world.repo.commitFiles({ "deploy/app.yaml": configMap("app", "blue") }, "deploy");
      const { octokit } = await world.clients.forInstallation(undefined, world.repoName);
      const deployments = createGitHubDeploymentReporter({ octokit });
      const started = {
        repo: world.repoName,
        sha,
        target: "web",
        environment: "production",
        description: "applying +1 ~0 -0, 0 unchanged",
        payload: {},
      };
      const handle = await deployments.start(started);
      if (handle)
        await deployments.finish(handle, {
          state: "success",
          description: "1 created in 0.2s",
          environmentUrl: "https://web.example.test/",
        });
      const targetsFile = join(repo.dir, "targets.yaml");
      await writeFile(
        targetsFile,
        [
          "version: 1",
          "clusters: { prod: { type: eks, name: prod } }",
          "targets:",
          `  - { name: web, repo: ${world.repoName}, path: deploy, cluster: prod, namespace: ${namespace}, environment: { name: production } }`,
          "",
        ].join("\n"),
      );
      const env = { PULLBRIDGE_GITHUB_TOKEN: TEST_TOKEN, PULLBRIDGE_GITHUB_API_URL: world.fake.url };
      const args = ["status", "--targets", "targets.yaml", "--kubeconfig", kubeconfig];

      // Act
      const json = await pullbridge([...args, "-o", "json"], { cwd: repo.dir, env });
      const text = await pullbridge(args, { cwd: repo.dir, env });
      const withoutToken = await pullbridge([...args, "-o", "json"], { cwd: repo.dir });

      // Assess
      expect(json.stderr).toBe("");
      expect(JSON.parse(json.stdout).targets[0].deployment).toMatchObject({
        id: handle?.id,
        environment: "production",
        sha,
        state: "success",
        description: "1 created in 0.2s",
        environmentUrl: "https://web.example.test/",
      });
      expect(text.stdout).toMatch(
        new RegExp(
          `Last GitHub deployment:\\n  web: #${handle?.id} production ${sha.slice(0, 7)} success \\d+s ago: 1 created in 0\\.2s https://web\\.example\\.test/`,
        ),
      );
      expect(JSON.parse(withoutToken.stdout).targets[0].deployment).toBeNull();
      expect(world.fake.violations).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it("validates a targets file (exit 0) and points at the line of a mistake (exit 1)", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "pullbridge-targets-"));
    const good = [
      "version: 1",
      "clusters:",
      "  prod: { type: eks, name: prod, region: eu-west-1 }",
      "targets:",
      "  - name: web",
      "    repo: acme/config",
      "    path: apps/web",
      "    cluster: prod",
      "    namespace: web",
      "",
    ].join("\n");
    await writeFile(join(dir, "good.yaml"), good);
    await writeFile(join(dir, "typo.yaml"), good.replace("cluster: prod", "cluster: prd"));

    // Act
    const valid = await pullbridge(["targets", "validate", "good.yaml", "-o", "json"], { cwd: dir });
    const invalid = await pullbridge(["targets", "validate", "typo.yaml"], { cwd: dir });

    // Assess
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({
      valid: true,
      file: "good.yaml",
      targets: [
        { name: "web", repo: "acme/config", branch: "main", path: "apps/web", cluster: "prod", prune: true },
      ],
      warnings: [],
    });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr.trim()).toBe(
      'error: typo.yaml:8:5: targets[0].cluster: unknown cluster "prd" (known: prod)',
    );
  });

  it("prints every problem of a targets file once, a line each, naming a missing field in words", async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), "pullbridge-targets-"));
    const lines = ["version: 1", "clusters:", "  prod: { type: eks, name: prod }", "targets:"];
    await writeFile(
      join(dir, "missing.yaml"),
      [...lines, "  - name: web", "    cluster: prod", "    namespace: web", "    drift: sometimes", ""].join(
        "\n",
      ),
    );
    await writeFile(
      join(dir, "unused.yaml"),
      [
        ...lines,
        "  - name: web",
        "    repo: acme/config",
        "    path: apps/web/overlays/prod",
        "    cluster: prod",
        "    namespace: web",
        "    render: kustomize",
        '    include: ["*.yaml"]',
        "  - name: shop",
        "    repo: acme/config",
        "    path: charts/shop",
        "    cluster: prod",
        "    namespace: shop",
        "    helm: { releaseName: Bad_Name! }",
        "",
      ].join("\n"),
    );

    // Act
    const missing = await pullbridge(["targets", "validate", "missing.yaml"], { cwd: dir });
    const json = await pullbridge(["targets", "validate", "missing.yaml", "-o", "json"], { cwd: dir });
    const unused = await pullbridge(["targets", "validate", "unused.yaml"], { cwd: dir });

    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toBe(
      [
        'error: missing.yaml:5:5: targets[0]: required field "repo" is missing',
        'error: missing.yaml:8:5: targets[0].drift: must be one of "correct", "alert" (got "sometimes")',
        "",
      ].join("\n"),
    );
    expect(json.stderr).toBe(missing.stderr);
    expect(JSON.parse(json.stdout).error.problems).toEqual([
      {
        file: "missing.yaml",
        line: 5,
        column: 5,
        field: "targets[0]",
        reason: 'required field "repo" is missing',
      },
      {
        file: "missing.yaml",
        line: 8,
        column: 5,
        field: "targets[0].drift",
        reason: 'must be one of "correct", "alert" (got "sometimes")',
      },
    ]);
    expect(unused.code).toBe(1);
    expect(unused.stderr).toBe(
      [
        "error: unused.yaml:11:5: targets[0].include: only plain targets read `include`, and this target has `render: kustomize`: remove it",
        "error: unused.yaml:17:13: targets[1].helm.releaseName: must be a Helm release name: lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit",
        "",
      ].join("\n"),
    );
  });
});
