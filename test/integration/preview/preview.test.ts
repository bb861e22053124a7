/**
 * Pull-request previews, end to end on real servers: a signed `pull_request` goes to the real
 * webhook handler, through fauxqs to the real worker handler, which asks the (OpenAPI-validated)
 * GitHub fake what the pull request changes, plans against the real kube-apiserver with
 * server-side dry-runs only, and reports a check run on the pull request head.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { configMapYaml, serviceAccountYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import type { RecordedCheckRun } from "../../support/github-fake/github-fake.ts";
import { kubeConfigFor } from "../../support/kube.ts";

const configMap = configMapYaml;

const serviceAccount = serviceAccountYaml;

const service = (name: string, port: number) =>
  [
    "apiVersion: v1",
    "kind: Service",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    "  selector:",
    `    app: ${name}`,
    "  ports:",
    `    - port: ${port}`,
    "",
  ].join("\n");

const deployment = (name: string, replicas: string) =>
  [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  replicas: ${replicas}`,
    "  selector:",
    `    matchLabels: { app: ${name} }`,
    "  template:",
    "    metadata:",
    `      labels: { app: ${name} }`,
    "    spec:",
    "      containers:",
    `        - name: ${name}`,
    "          image: nginx:1.27",
    "",
  ].join("\n");

const core = () => kubeConfigFor("admin").makeApiClient(CoreV1Api);
const apps = () => kubeConfigFor("admin").makeApiClient(AppsV1Api);

/** Every object's resourceVersion in the namespace, for the kinds these tests touch. */
async function resourceVersions(namespace: string): Promise<Record<string, string>> {
  const [cms, sas, secrets, services, deployments] = await Promise.all([
    core().listNamespacedConfigMap({ namespace }),
    core().listNamespacedServiceAccount({ namespace }),
    core().listNamespacedSecret({ namespace }),
    core().listNamespacedService({ namespace }),
    apps().listNamespacedDeployment({ namespace }),
  ]);
  const out: Record<string, string> = {};
  for (const [kind, items] of [
    ["ConfigMap", cms.items],
    ["ServiceAccount", sas.items],
    ["Secret", secrets.items],
    ["Service", services.items],
    ["Deployment", deployments.items],
  ] as const) {
    for (const item of items)
      out[`${kind}/${item.metadata?.name ?? ""}`] = item.metadata?.resourceVersion ?? "";
  }
  return out;
}

/** 1-based line of the first line of `text` that equals `line`. */
function lineOf(text: string, line: string): number {
  const index = text.split("\n").indexOf(line);
  if (index === -1) throw new Error(`"${line}" is not in the file`);
  return index + 1;
}

const previewRun = (bridge: Bridge, sha: string): RecordedCheckRun | undefined =>
  bridge.world.fake.checkRuns(sha).find((r) => r.name === "pullbridge preview / web");

const routesSince = (bridge: Bridge, from: number) =>
  bridge.world.fake
    .restCalls()
    .slice(from)
    .map((r) => r.route);

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("pull-request preview", () => {
  it("shows what merging would create, change and prune, and changes nothing in the cluster", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    const { namespace } = bridge;
    await bridge.push({
      "deploy/app.yaml": configMap("app", { color: "blue" }),
      "deploy/old.yaml": configMap("old", { keep: "stale" }),
      "deploy/sa.yaml": serviceAccount("web"),
    });
    await bridge.drain();
    const before = await resourceVersions(namespace);
    const writesBefore = bridge.clusterRequests().writes;
    const callsBefore = bridge.world.fake.restCalls().length;

    // Act
    const pr = await bridge.openPullRequest({
      branch: "feature",
      files: {
        "deploy/app.yaml": configMap("app", { color: "green" }),
        "deploy/new.yaml": configMap("new", { fresh: "shiny" }),
        "deploy/old.yaml": null,
      },
    });
    const polls = await bridge.drain();

    // Assess
    expect(pr.status).toBe(202);
    expect(pr.body).toMatchObject({ queued: ["web"] });
    expect(polls.reduce((n, p) => n + p.failed, 0)).toBe(0);
    const run = previewRun(bridge, pr.sha);
    expect(run).toMatchObject({
      status: "completed",
      conclusion: "success",
      title: "+1 ~1 -1, 1 unchanged",
    });
    expect(run?.summary).toContain(
      `### To create (1)\n\n- \`ConfigMap ${namespace}/new\` — \`deploy/new.yaml\``,
    );
    expect(run?.summary).toContain(
      `### To change (1)\n\n- \`ConfigMap ${namespace}/app\` — \`deploy/app.yaml\``,
    );
    expect(run?.summary).toContain(`### To prune (1)\n\n- \`ConfigMap ${namespace}/old\``);
    expect(run?.summary).toContain(`ServiceAccount ${namespace}/web`);
    expect(run?.text).toContain("-  color: blue");
    expect(run?.text).toContain("+  color: green");
    expect(run?.text).toContain("+  fresh: shiny");
    expect(run?.text).toContain("-  keep: stale");
    // Nothing was written: every resourceVersion as before, no write request from the worker.
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
    // Previews post no commit status as an App, and never touch the sync's status context.
    expect(bridge.world.fake.statuses(pr.sha)).toEqual([]);
    expect(routesSince(bridge, callsBefore)).toEqual([
      "GET /repos/{owner}/{repo}/pulls/{pull_number}",
      "GET /repos/{owner}/{repo}/compare/{base}...{head}",
      "POST /repos/{owner}/{repo}/check-runs",
      "GET /repos/{owner}/{repo}/tarball/{ref}",
      "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
    ]);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("lists a multi-step sync's order (hooks and waves) before the plan, and creates no hook", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const writesBefore = bridge.clusterRequests().writes;

    // Act
    const pr = await bridge.openPullRequest({
      branch: "feature",
      files: {
        "deploy/migrate.yaml": [
          "apiVersion: batch/v1",
          "kind: Job",
          "metadata:",
          "  generateName: migrate-",
          "  annotations:",
          "    argocd.argoproj.io/hook: PreSync",
          "spec:",
          "  template:",
          "    spec:",
          "      restartPolicy: Never",
          "      containers:",
          "        - name: migrate",
          "          image: registry.example/migrate:1",
          "",
        ].join("\n"),
        "deploy/web.yaml": deployment("web", "2").replace(
          "  name: web\n",
          '  name: web\n  annotations:\n    pullbridge.dev/wave: "1"\n',
        ),
      },
    });
    await bridge.drain();

    // Assess
    const run = previewRun(bridge, pr.sha);
    expect(run).toMatchObject({ status: "completed", conclusion: "success" });
    const summary = run?.summary ?? "";
    expect(summary).toMatch(
      new RegExp(
        [
          "### Order of the sync",
          "",
          `- \\*\\*1\\. pre-sync\\*\\*: \`Job\\.batch migrate-[0-9a-f]{10} \\(Argo CD hook; delete: before-hook-creation\\)\``,
          "- \\*\\*2\\. wave 0\\*\\*: `ConfigMap app`",
          "- \\*\\*3\\. wave 1\\*\\*: `Deployment\\.apps web`, `then prune what left Git`",
        ].join("\n"),
      ),
    );
    // The hook is a step, not an object of the set: the plan creates only the Deployment.
    expect(summary).toContain(`### To create (1)\n\n- \`Deployment.apps ${namespace}/web\``);
    expect(summary).not.toContain("To create (2)");
    expect(
      (await kubeConfigFor("admin").makeApiClient(BatchV1Api).listNamespacedJob({ namespace })).items,
    ).toEqual([]);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
  });

  it("fails when the dry-run rejects a manifest, with an annotation at its file and line", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const before = await resourceVersions(namespace);
    const writesBefore = bridge.clusterRequests().writes;
    const file = `${configMap("settings", { mode: "fast" })}---\n${service("api", 70000)}`;

    // Act
    const pr = await bridge.openPullRequest({ branch: "bad-port", files: { "deploy/api.yaml": file } });
    const polls = await bridge.drain();

    // Assess
    expect(polls.reduce((n, p) => n + p.failed, 0)).toBe(0); // permanent: acknowledged, not retried
    const run = previewRun(bridge, pr.sha);
    expect(run).toMatchObject({ status: "completed", conclusion: "failure" });
    expect(run?.title).toContain(`Service ${namespace}/api`);
    expect(run?.summary).toContain("This change would be rejected");
    expect(run?.annotations).toEqual([
      expect.objectContaining({
        path: "deploy/api.yaml",
        start_line: lineOf(file, "kind: Service") - 1,
        annotation_level: "failure",
        title: `refused by the cluster: Service ${namespace}/api`,
        message: expect.stringContaining("70000"),
      }),
    ]);
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("fails a Deployment whose replicas is not a number, annotated at its document", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const writesBefore = bridge.clusterRequests().writes;
    const file = `# the web tier\n${serviceAccount("web")}---\n${deployment("web", '"many"')}`;

    // Act
    const pr = await bridge.openPullRequest({ branch: "bad-replicas", files: { "deploy/web.yaml": file } });
    await bridge.drain();

    // Assess
    const run = previewRun(bridge, pr.sha);
    expect(run?.conclusion).toBe("failure");
    expect(run?.summary).toContain(`Deployment.apps ${namespace}/web`);
    expect(run?.annotations.map((a) => [a.path, a.start_line, a.message.includes("spec.replicas")])).toEqual([
      ["deploy/web.yaml", lineOf(file, "kind: Deployment") - 1, true],
    ]);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("annotates a sync refused by the dry-run the same way", async () => {
    // Prepare
    bridge = await startBridge();
    const file = `${configMap("settings", { mode: "fast" })}---\n${service("api", 0)}`;

    // Act
    const push = await bridge.push({ "deploy/api.yaml": file });
    await bridge.drain();

    // Assess
    expect(bridge.world.fake.statuses(push.sha).at(-1)?.state).toBe("failure");
    const [run] = bridge.world.fake.checkRuns(push.sha);
    expect(run?.conclusion).toBe("failure");
    expect(run?.annotations.map((a) => [a.path, a.start_line])).toEqual([
      ["deploy/api.yaml", lineOf(file, "kind: Service") - 1],
    ]);
    expect(bridge.clusterRequests().writes).toBe(0);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("posts nothing for a pull request that touches no file under the target path", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const callsBefore = bridge.world.fake.restCalls().length;
    const readsBefore = bridge.clusterRequests().reads;

    // Act
    const pr = await bridge.openPullRequest({
      branch: "docs",
      files: { "README.md": "docs only\n", "deployment/notes.md": "not under deploy/\n" },
    });
    const polls = await bridge.drain();

    // Assess
    expect(pr.status).toBe(202);
    expect(polls.reduce((n, p) => n + p.succeeded, 0)).toBe(1);
    expect(bridge.world.fake.checkRuns(pr.sha)).toEqual([]);
    expect(bridge.world.fake.statuses(pr.sha)).toEqual([]);
    expect(routesSince(bridge, callsBefore)).toEqual([
      "GET /repos/{owner}/{repo}/pulls/{pull_number}",
      "GET /repos/{owner}/{repo}/compare/{base}...{head}",
    ]);
    expect(bridge.clusterRequests().reads).toBe(readsBefore);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("previews anyway when GitHub cannot list every changed file (over 300)", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const docs = Object.fromEntries(
      Array.from({ length: 301 }, (_, i) => [`docs/page-${i}.md`, `page ${i}\n`]),
    );

    // Act
    const pr = await bridge.openPullRequest({ branch: "many-docs", files: docs });
    await bridge.drain();

    // Assess
    expect(previewRun(bridge, pr.sha)).toMatchObject({
      conclusion: "success",
      title: "+0 ~0 -0, 1 unchanged",
    });
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("finishes an older head's preview as superseded, without planning it, when the pull request moved", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const callsBefore = bridge.world.fake.restCalls().length;

    // Act: two pushes to the pull request land in the queue before the worker runs.
    const first = await bridge.openPullRequest({
      branch: "feature",
      files: { "deploy/app.yaml": configMap("app", { color: "green" }) },
    });
    const second = await bridge.openPullRequest({
      branch: "feature",
      files: { "deploy/app.yaml": configMap("app", { color: "red" }) },
    });
    await bridge.drain();

    // Assess
    expect(second.number).toBe(first.number);
    expect(previewRun(bridge, first.sha)).toMatchObject({
      status: "completed",
      conclusion: "success",
      title: `superseded by ${second.sha.slice(0, 7)}`,
    });
    expect(previewRun(bridge, first.sha)?.text).toBeUndefined();
    expect(previewRun(bridge, second.sha)).toMatchObject({
      conclusion: "success",
      title: "+0 ~1 -0, 0 unchanged",
    });
    expect(previewRun(bridge, second.sha)?.text).toContain("+  color: red");
    // The superseded job cost two calls (PR lookup, completed check run) and no tarball.
    expect(routesSince(bridge, callsBefore)).toEqual([
      "GET /repos/{owner}/{repo}/pulls/{pull_number}",
      "POST /repos/{owner}/{repo}/check-runs",
      "GET /repos/{owner}/{repo}/pulls/{pull_number}",
      "GET /repos/{owner}/{repo}/compare/{base}...{head}",
      "POST /repos/{owner}/{repo}/check-runs",
      "GET /repos/{owner}/{repo}/tarball/{ref}",
      "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
    ]);
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("runs beside a queued sync of the same target: one poll completes both", async () => {
    // Prepare
    bridge = await startBridge({ target: { preview: true } });
    const { namespace } = bridge;
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();

    // Act: the preview is queued first; the sync behind it is in its own FIFO group.
    const pr = await bridge.openPullRequest({
      branch: "feature",
      files: { "deploy/app.yaml": configMap("app", { color: "green" }) },
    });
    const push = await bridge.push({ "deploy/extra.yaml": configMap("extra", { count: "1" }) });
    const poll = await bridge.pollOnce();

    // Assess
    expect(poll).toMatchObject({ received: 2, succeeded: 2, failed: 0 });
    expect(previewRun(bridge, pr.sha)).toMatchObject({ conclusion: "success" });
    expect(
      bridge.world.fake.statuses(push.sha).map((s) => [s.state, s.context, s.description?.split(" in ")[0]]),
    ).toEqual([
      ["pending", "pullbridge/web", `syncing deploy to ${namespace}`],
      ["success", "pullbridge/web", "1 created"],
    ]);
    expect((await core().readNamespacedConfigMap({ namespace, name: "extra" })).data).toEqual({ count: "1" });
    expect((await core().readNamespacedConfigMap({ namespace, name: "app" })).data).toEqual({
      color: "blue",
    });
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("reports a preview as a commit status where only a token is configured", async () => {
    // Prepare
    bridge = await startBridge({ mode: "token", target: { preview: true } });
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();

    // Act
    const pr = await bridge.openPullRequest({
      branch: "feature",
      files: { "deploy/app.yaml": configMap("app", { color: "green" }) },
    });
    await bridge.drain();

    // Assess
    expect(
      bridge.world.fake
        .statuses(pr.sha)
        .map((s) => ({ state: s.state, context: s.context, d: s.description })),
    ).toEqual([
      { state: "pending", context: "pullbridge preview/web", d: "previewing PR #1 against the live cluster" },
      { state: "success", context: "pullbridge preview/web", d: "+0 ~1 -0, 0 unchanged" },
    ]);
    expect(bridge.world.fake.checkRuns(pr.sha)).toEqual([]);
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
