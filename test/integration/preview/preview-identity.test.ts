/**
 * Previews through a separate identity: the RBAC example of docs/concepts/previews.md is
 * applied as written (namespace replaced) to the real API server, the target sets
 * `previewImpersonate`, and a preview runs as that user — validated by dry-runs, writing nothing.
 */
import { readFile } from "node:fs/promises";
import { AppsV1Api, CoreV1Api, KubernetesObjectApi } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { kubeConfigFor } from "../../support/kube.ts";

const configMap = configMapYaml;

const cronJob = (name: string) =>
  [
    "apiVersion: batch/v1",
    "kind: CronJob",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    '  schedule: "0 * * * *"',
    "  jobTemplate:",
    "    spec:",
    "      template:",
    "        spec:",
    "          restartPolicy: Never",
    "          containers:",
    `            - name: ${name}`,
    "              image: busybox:1.36",
    "",
  ].join("\n");

type RbacDocument = { kind: string; metadata: { name: string; namespace?: string } } & Record<
  string,
  unknown
>;

/** The YAML block of the previews page that holds the RBAC example. */
async function documentedRbacExample(): Promise<RbacDocument[]> {
  const page = await readFile(new URL("../../../docs/concepts/previews.md", import.meta.url), "utf8");
  const block = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? "")
    .find((yaml) => yaml.includes("kind: ClusterRole"));
  if (block === undefined) throw new Error("docs/concepts/previews.md has no RBAC example");
  return parseAllDocuments(block).map((d) => d.toJS() as RbacDocument);
}

/** Creates each object as the admin; cluster-scoped ones may exist from an earlier run (409 is fine). */
async function applyAsAdmin(documents: readonly RbacDocument[], namespace: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfigFor("admin"));
  for (const doc of documents) {
    const body =
      doc.metadata.namespace === undefined ? doc : { ...doc, metadata: { ...doc.metadata, namespace } };
    try {
      await objects.create(body);
    } catch (error) {
      if ((error as { code?: number }).code !== 409 || doc.metadata.namespace !== undefined) throw error;
    }
  }
}

async function resourceVersions(namespace: string): Promise<Record<string, string>> {
  const core = kubeConfigFor("admin").makeApiClient(CoreV1Api);
  const apps = kubeConfigFor("admin").makeApiClient(AppsV1Api);
  const [cms, secrets, services, deployments] = await Promise.all([
    core.listNamespacedConfigMap({ namespace }),
    core.listNamespacedSecret({ namespace }),
    core.listNamespacedService({ namespace }),
    apps.listNamespacedDeployment({ namespace }),
  ]);
  return Object.fromEntries(
    [...cms.items, ...secrets.items, ...services.items, ...deployments.items].map((o) => [
      `${o.kind ?? ""}/${o.metadata?.name ?? ""}`,
      o.metadata?.resourceVersion ?? "",
    ]),
  );
}

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe("preview identity (previewImpersonate)", () => {
  it("previews as the documented preview user, within exactly the rights the example grants", async () => {
    // Prepare
    bridge = await startBridge({
      target: { preview: true, previewImpersonate: { user: "pullbridge-preview" } },
    });
    const { namespace } = bridge;
    const rbac = await documentedRbacExample();
    expect(rbac.map((d) => d.kind)).toEqual(["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]);
    await applyAsAdmin(rbac, namespace);
    await bridge.push({ "deploy/app.yaml": configMap("app", { color: "blue" }) });
    await bridge.drain();
    const before = await resourceVersions(namespace);
    const writesBefore = bridge.clusterRequests().writes;

    // Act
    const allowed = await bridge.openPullRequest({
      branch: "allowed",
      files: {
        "deploy/app.yaml": configMap("app", { color: "green" }),
        "deploy/extra.yaml": configMap("extra", { size: "large" }),
      },
    });
    const outside = await bridge.openPullRequest({
      branch: "outside",
      files: { "deploy/nightly.yaml": cronJob("nightly") },
    });
    await bridge.drain();

    // Assess
    const run = (sha: string) =>
      bridge?.world.fake.checkRuns(sha).find((r) => r.name === "pullbridge preview / web");
    expect(run(allowed.sha)).toMatchObject({ conclusion: "success", title: "+1 ~1 -0, 0 unchanged" });
    // CronJobs are not in the example Role: the preview user is refused, which proves it is the one asking.
    expect(run(outside.sha)?.conclusion).toBe("failure");
    expect(run(outside.sha)?.summary).toContain('User "pullbridge-preview" cannot');
    expect(await resourceVersions(namespace)).toEqual(before);
    expect(bridge.clusterRequests().writes).toBe(writesBefore);
    expect(bridge.world.fake.violations).toEqual([]);
  });
});
