/**
 * The demo repository local mode creates when no targets file is given: a git repository with
 * the example manifests of `demo-manifests/` under `deploy/`, and a target `demo` that syncs
 * it into the namespace `pullbridge-demo`, so `npm start` works with no GitHub and no cluster.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import { parseTargetsConfig, type TargetsFile } from "../../lib/config/targets.ts";
import { initRepository, type LocalGit, localGit } from "./local-git.ts";

const DEMO_MANIFESTS_DIR = fileURLToPath(new URL("./demo-manifests/", import.meta.url));
export const DEMO_REPO = "local/pullbridge-demo";
export const DEMO_BRANCH = "main";
export const DEMO_PATH = "deploy";
export const DEMO_TARGET = "demo";
export const DEMO_NAMESPACE = "pullbridge-demo";

/** Creates the repository at `dir` with the example manifests committed, or reuses one that exists. */
export async function ensureDemoRepository(dir: string): Promise<{ repo: LocalGit; created: boolean }> {
  if (existsSync(join(dir, ".git"))) return { repo: localGit(dir), created: false };
  await mkdir(join(dir, DEMO_PATH), { recursive: true });
  const repo = await initRepository(dir, DEMO_BRANCH);
  for (const file of (await readdir(DEMO_MANIFESTS_DIR)).sort()) {
    await copyFile(join(DEMO_MANIFESTS_DIR, file), join(dir, DEMO_PATH, file));
  }
  await repo.commitAll("Add the demo web app");
  return { repo, created: true };
}

/** The demo's image repository (AWS's sample account and region, as `npm run send-image-event` sends by default). */
const DEMO_IMAGE_REPOSITORY = "123456789012.dkr.ecr.us-west-2.amazonaws.com/web";

/** The demo target, reading `deploy/` of the demo repository, on the cluster of `kubeconfig`. */
export function demoTargets(options: {
  kubeconfig: string;
  context?: string | undefined;
  namespace?: string;
  driftPolicy?: "correct" | "alert";
}): TargetsFile {
  return parseTargetsConfig({
    version: 1,
    clusters: {
      local: {
        type: "kubeconfig",
        source: `file:${options.kubeconfig}`,
        ...(options.context === undefined ? {} : { context: options.context }),
      },
    },
    targets: [
      {
        name: DEMO_TARGET,
        repo: DEMO_REPO,
        branch: DEMO_BRANCH,
        path: DEMO_PATH,
        cluster: "local",
        namespace: options.namespace ?? DEMO_NAMESPACE,
        drift: options.driftPolicy ?? "correct",
        // `npm run send-image-event -- --tag 1.28.0` bumps the marked image of deploy/deployment.yaml.
        images: { policies: [{ name: "web", repository: DEMO_IMAGE_REPOSITORY, semver: "^1.0.0" }] },
      },
    ],
  });
}

/**
 * The ApplySet parent lives in the target's namespace, so it must exist before the first sync
 * (as a platform team creates it, with the worker's Role, before adding a target).
 */
export async function ensureNamespace(
  cluster: ClusterPort,
  namespace: string,
): Promise<"created" | "exists"> {
  const resource = { group: "", version: "v1", kind: "Namespace", resource: "namespaces", namespaced: false };
  if (await cluster.get({ resource, name: namespace })) return "exists";
  await cluster.apply({
    resource,
    object: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    force: false,
    dryRun: false,
  });
  return "created";
}
