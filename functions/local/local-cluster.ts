/**
 * The cluster local mode talks to: the kubeconfig context the user already has, or — when there
 * is none — the local control plane of the test harness (etcd + kube-apiserver, built once from
 * the Go module proxy and cached), started for this run and stopped with it. When the rolling
 * cluster's binaries are built too (kube-controller-manager, kube-scheduler, KWOK: `npm test`
 * builds them), that plane gets its controllers and fake nodes, so Deployments really roll out
 * and health gating has something to wait for.
 */

import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { createClusterClient } from "../../lib/cluster/adapters/kube-cluster-client.ts";
import { kubeConfigFromText } from "../../lib/cluster/adapters/kube-config.ts";
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import type { ControlPlaneEnv } from "../../lib/config/terminal-env.ts";
import {
  type ControlPlane,
  ensureBinaries,
  startControlPlane,
} from "../../test/support/control-plane/control-plane.ts";
import {
  rollingBinariesCached,
  startRollingCluster,
} from "../../test/support/control-plane/rolling-cluster.ts";

export type LocalCluster = {
  /** Kubeconfig file and context the targets use. */
  kubeconfig: string;
  context: string | undefined;
  server: string;
  /** One line for the banner. */
  description: string;
  /** Present when this process started the control plane (stop it on exit). */
  controlPlane?: ControlPlane;
  /**
   * Whether workloads can become ready: false only for the light local control plane (no
   * controller-manager, scheduler or kubelet), where a Deployment never rolls out.
   */
  controllers: boolean;
};

/** Whether the control-plane binaries are already built (a start takes seconds, not minutes). */
function controlPlaneCached(env: ControlPlaneEnv): boolean {
  if (env.KUBEBUILDER_ASSETS && existsSync(join(env.KUBEBUILDER_ASSETS, "kube-apiserver"))) return true;
  const cache = env.PULLBRIDGE_CACHE_DIR ?? join(homedir(), ".cache", "pullbridge");
  return existsSync(join(cache, "control-plane"));
}

/**
 * Builds (first run) and starts the local control plane; its admin kubeconfig is what the targets
 * use. With `controllers` and the rolling binaries already built, it is the rolling cluster
 * (controllers + KWOK fake nodes); they are never built here (≈ 25 min the first time).
 */
export async function startLocalControlPlane(
  say: (text: string) => void,
  env: ControlPlaneEnv,
  options: { controllers?: boolean } = {},
): Promise<LocalCluster> {
  if (!controlPlaneCached(env)) {
    say(
      "No control plane binaries yet: building kube-apiserver, etcd and kubectl from the Go module proxy.\n" +
        "This happens once (about 5 minutes, needs Go ≥ 1.21) and is cached under ~/.cache/pullbridge.",
    );
  }
  const binDir = await ensureBinaries();
  const rolling = options.controllers ? await rollingBinariesCached() : undefined;
  const controlPlane = rolling
    ? await startRollingCluster({ binDir, ...rolling })
    : await startControlPlane({ binDir });
  const kubeconfig = join(controlPlane.dir, "admin.kubeconfig");
  const pieces = rolling ? " + controller-manager, scheduler, KWOK (3 fake nodes)" : "";
  return {
    kubeconfig,
    context: undefined,
    server: controlPlane.server,
    description: `local control plane: kube-apiserver ${controlPlane.version}${pieces} at ${controlPlane.server} (admin kubeconfig ${kubeconfig})`,
    controlPlane,
    controllers: rolling !== undefined,
  };
}

/** A kubeconfig context as the local cluster. */
export async function kubeconfigCluster(
  path: string,
  context: string | undefined,
): Promise<LocalCluster & { client: ClusterPort }> {
  const kubeConfig = kubeConfigFromText({ text: await readFile(path, "utf8"), context });
  const name = kubeConfig.getCurrentContext();
  const client = await createClusterClient({ kubeConfig });
  return {
    kubeconfig: path,
    context: name,
    server: client.server,
    description: `kubeconfig ${path}, context ${name} (${client.server})`,
    client,
    controllers: true,
  };
}
