/**
 * `npm run demo`: a narrated, non-interactive tour of the whole loop on a real API server —
 * push → sync, update + prune, drift correction by the schedule, rollback by `git revert`.
 * Every step checks the cluster; any unmet expectation exits 1, so CI can run it.
 *
 *   npm run demo                                  # on a local control plane (built on first use)
 *   npm run demo -- --kubeconfig k.yaml -n demo-1 # on an existing cluster (needs rights to create the namespace)
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { formatCliError } from "../../lib/cli/format-cli-error.ts";
import { colourDiff } from "../../lib/cli/format-sync-result.ts";
import { createPalette, shouldUseColour } from "../../lib/cli/palette.ts";
import { disableMetricsOutputUnlessSet, readLocalEnv } from "../../lib/config/terminal-env.ts";
import {
  DEMO_BRANCH,
  DEMO_NAMESPACE,
  DEMO_PATH,
  DEMO_REPO,
  DEMO_TARGET,
  demoTargets,
  ensureDemoRepository,
  ensureNamespace,
} from "./demo-repository.ts";
import { kubeconfigCluster, type LocalCluster, startLocalControlPlane } from "./local-cluster.ts";
import type { LocalGit } from "./local-git.ts";
import { deliverPush } from "./push-delivery.ts";
import { type LocalBridge, type RecordedReport, startLocalBridge } from "./start-local-bridge.ts";

disableMetricsOutputUnlessSet();

const env = readLocalEnv();
const p = createPalette(shouldUseColour({ isTty: process.stdout.isTTY === true, env }));
const say = (text = "") => process.stdout.write(`${text}\n`);
const detail = (text: string) => say(`      ${text}`);

/** An expectation about the cluster that did not hold. */
class DemoCheckFailed extends Error {
  override readonly name = "DemoCheckFailed";
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === 404;
}

/** Reads the demo objects back from the API server, as a user would with kubectl. */
function clusterProbe(kubeconfig: string, context: string | undefined, namespace: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  if (context) kc.setCurrentContext(context);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  return {
    async color(): Promise<string | undefined> {
      return (await core.readNamespacedConfigMap({ namespace, name: "web-settings" })).data?.color;
    },
    async replicas(): Promise<number | undefined> {
      return (await apps.readNamespacedDeployment({ namespace, name: "web" })).spec?.replicas;
    },
    async serviceExists(): Promise<boolean> {
      try {
        await core.readNamespacedService({ namespace, name: "web" });
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    /** What `kubectl patch configmap web-settings --type json -p …` does: an edit outside Git. */
    async editColorByHand(color: string): Promise<void> {
      await core.patchNamespacedConfigMap({
        namespace,
        name: "web-settings",
        fieldManager: "kubectl-patch",
        body: [{ op: "replace", path: "/data/color", value: color }],
      });
    },
  };
}

type Probe = ReturnType<typeof clusterProbe>;

async function expectState(
  probe: Probe,
  expected: { color: string; replicas: number; service: boolean },
): Promise<void> {
  const actual = {
    color: await probe.color(),
    replicas: await probe.replicas(),
    service: await probe.serviceExists(),
  };
  const checks = [
    [
      `ConfigMap web-settings color=${expected.color}`,
      actual.color === expected.color,
      `color=${actual.color}`,
    ],
    [
      `Deployment web replicas=${expected.replicas}`,
      actual.replicas === expected.replicas,
      `replicas=${actual.replicas}`,
    ],
    [
      `Service web ${expected.service ? "exists" : "is gone"}`,
      actual.service === expected.service,
      actual.service ? "exists" : "is gone",
    ],
  ] as const;
  detail(`cluster: ${checks.map(([what, ok]) => `${what} ${ok ? p.green("✔") : p.red("✘")}`).join(", ")}`);
  const failed = checks.filter(([, ok]) => !ok);
  if (failed.length > 0) {
    throw new DemoCheckFailed(failed.map(([what, , got]) => `expected ${what}, found ${got}`).join("; "));
  }
}

function showReport(report: RecordedReport): void {
  const mark = report.state === "success" ? p.green("✔") : p.red("✘");
  detail(
    `${mark} status ${p.bold(`pullbridge/${report.target}`)} on ${report.sha.slice(0, 7)}: ${report.state} — ${report.description}`,
  );
}

function showDiffs(report: RecordedReport): void {
  for (const match of (report.text ?? "").matchAll(/```diff\n([\s\S]*?)\n```/g)) {
    const lines = colourDiff(match[1] ?? "", p).split("\n");
    // A pruned object's diff is the whole object; the head of it tells the story.
    const shown =
      lines.length > 16 ? [...lines.slice(0, 12), p.dim(`… ${lines.length - 12} more lines`)] : lines;
    for (const line of shown) detail(`  ${line}`);
  }
}

async function pushAndWait(
  bridge: LocalBridge,
  repo: LocalGit,
  secret: string,
  before: string | undefined,
): Promise<RecordedReport> {
  const push = await deliverPush({
    repo,
    repoName: DEMO_REPO,
    branch: DEMO_BRANCH,
    url: bridge.webhookUrl,
    secret,
    before,
  });
  detail(
    `signed push ${push.before.slice(0, 7)}..${push.after.slice(0, 7)} → POST /webhook: HTTP ${push.status} ${push.body}`,
  );
  if (push.status !== 202) throw new DemoCheckFailed(`the webhook answered ${push.status}, expected 202`);
  const report = await bridge.waitForReport((r) => r.target === DEMO_TARGET && r.sha === push.after, 60_000);
  showReport(report);
  if (report.state !== "success")
    throw new DemoCheckFailed(
      `the sync of ${push.after.slice(0, 7)} reported ${report.state}: ${report.description}`,
    );
  return report;
}

async function editFile(dir: string, file: string, from: string, to: string): Promise<void> {
  const path = join(dir, DEMO_PATH, file);
  const text = await readFile(path, "utf8");
  if (!text.includes(from)) throw new DemoCheckFailed(`${file} does not contain "${from}"`);
  await writeFile(path, text.replace(from, to));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: "string" },
      context: { type: "string" },
      namespace: { type: "string", short: "n", default: DEMO_NAMESPACE },
      "sqs-endpoint": { type: "string" },
      "drift-interval": { type: "string", default: "2" },
      "keep-repo": { type: "boolean", default: false },
    },
    strict: true,
  });
  const namespace = values.namespace;
  const driftInterval = Number(values["drift-interval"]);
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => void stop().finally(() => process.exit(130)));

  try {
    say(
      p.bold(
        "pullbridge demo: GitHub push → webhook → SQS FIFO → worker → server-side apply, checked step by step",
      ),
    );
    let cluster: LocalCluster;
    if (values.kubeconfig !== undefined) {
      cluster = await kubeconfigCluster(values.kubeconfig, values.context);
    } else {
      say(p.dim("Starting the local control plane (etcd + kube-apiserver)…"));
      cluster = await startLocalControlPlane(say, env);
      const cp = cluster.controlPlane;
      if (cp) cleanups.push(() => cp.stop());
    }
    detail(`cluster: ${cluster.description}`);
    const probe = clusterProbe(cluster.kubeconfig, cluster.context, namespace);
    await ensureNamespace((await kubeconfigCluster(cluster.kubeconfig, cluster.context)).client, namespace);

    say();
    say(p.bold("[1/5] Create a git repository with example manifests"));
    const dir = await mkdtemp(join(tmpdir(), "pullbridge-demo-"));
    if (!values["keep-repo"]) cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { repo } = await ensureDemoRepository(dir);
    detail(
      `${dir}: ${(await repo.git("ls-files")).split("\n").join(", ")} (commit ${(await repo.head(DEMO_BRANCH))?.slice(0, 7)})`,
    );

    const secret = `demo-${Date.now().toString(36)}`;
    const bridge = await startLocalBridge({
      targets: demoTargets({ kubeconfig: cluster.kubeconfig, context: cluster.context, namespace }),
      source: { kind: "local", directories: { [DEMO_REPO]: dir } },
      webhookSecret: secret,
      sqsEndpoint: values["sqs-endpoint"],
      logLevel: "ERROR",
      // The narration shows each final status; the full check-run text is in the report.
      write: () => {},
    });
    cleanups.push(() => bridge.close());
    detail(
      `bridge: webhook ${bridge.webhookUrl}, queue ${bridge.queueUrl.split("/").pop()} (fauxqs ${bridge.sqsEndpoint}), target ${DEMO_TARGET} → namespace ${namespace}`,
    );

    say();
    say(p.bold("[2/5] Push: the webhook verifies the signature, queues a job; the worker syncs the commit"));
    const first = await pushAndWait(bridge, repo, secret, undefined);
    await expectState(probe, { color: "blue", replicas: 2, service: true });

    say();
    say(p.bold("[3/5] Change a file and delete another, push again: an update and a prune"));
    await editFile(dir, "configmap.yaml", "color: blue", "color: green");
    await editFile(dir, "deployment.yaml", "replicas: 2", "replicas: 3");
    await rm(join(dir, DEMO_PATH, "service.yaml"));
    const changed = await repo.commitAll("Go green, scale to 3, drop the Service");
    detail(`commit ${changed.slice(0, 7)}: color blue → green, replicas 2 → 3, deploy/service.yaml deleted`);
    const second = await pushAndWait(bridge, repo, secret, first.sha);
    showDiffs(second);
    await expectState(probe, { color: "green", replicas: 3, service: false });

    say();
    say(p.bold("[4/5] Edit the cluster by hand; the next scheduled drift check puts Git's value back"));
    await probe.editColorByHand("red");
    detail(
      `kubectl patch configmap web-settings -n ${namespace} --type json -p '[{"op":"replace","path":"/data/color","value":"red"}]'`,
    );
    const editedAt = new Date();
    await expectState(probe, { color: "red", replicas: 3, service: false });
    detail(`drift schedule on: every ${driftInterval}s (EventBridge in AWS, rate(10 minutes) by default)`);
    bridge.setDriftInterval(driftInterval);
    const drift = await bridge.waitForReport(
      (r) => r.target === DEMO_TARGET && r.sha === second.sha && r.at >= editedAt,
      60_000,
    );
    bridge.setDriftInterval(0);
    showReport(drift);
    await expectState(probe, { color: "green", replicas: 3, service: false });

    say();
    say(p.bold("[5/5] Roll back with git revert, and push"));
    const reverted = await repo.revertHead();
    detail(`git revert --no-edit HEAD → ${reverted.slice(0, 7)} "${await repo.subjectOf(reverted)}"`);
    await pushAndWait(bridge, repo, secret, second.sha);
    await expectState(probe, { color: "blue", replicas: 2, service: true });

    say();
    say(p.green(p.bold("Demo passed: every step's expectation held in the cluster.")));
    if (values["keep-repo"]) say(p.dim(`The demo repository is kept at ${dir}.`));
    return 0;
  } catch (error) {
    say();
    if (error instanceof DemoCheckFailed) say(p.red(`✘ demo failed: ${error.message}`));
    else
      for (const line of formatCliError(error)) say(p.red(`✘ demo failed: ${line.replace(/^error: /, "")}`));
    return 1;
  } finally {
    await stop();
  }
}

const code = await main();
process.exitCode = code;
// Keep-alive sockets to the API server and SQS must not hold the process open.
setTimeout(() => process.exit(code), 200).unref();
