/**
 * vitest globalSetup for the `rolling` project: one rolling cluster (control plane + controller-
 * manager + scheduler + KWOK with fake nodes) and one SQS-protocol endpoint per run. Only tests
 * that need real rollouts live in that project; the others keep the lighter API-server-only plane.
 * Provides the same `controlPlane` / `sqsEndpoint` / `motoEndpoint` as the integration setup, so
 * every helper works (moto is the same server when both projects run: it is started once per run).
 */
import { startFauxqs } from "fauxqs";
import type { TestProject } from "vitest/node";
import { ensureBinaries } from "./control-plane/control-plane.ts";
import { ensureRollingBinaries, startRollingCluster } from "./control-plane/rolling-cluster.ts";
import { acquireSharedMoto } from "./moto.ts";

export default async function setup(project: TestProject) {
  const binDir = await ensureBinaries();
  const { k8sDir, kwokDir } = await ensureRollingBinaries();
  const started = Date.now();
  const [cluster, sqs, moto] = await Promise.all([
    startRollingCluster({ binDir, k8sDir, kwokDir }),
    startFauxqs({ port: 0, logger: false }),
    acquireSharedMoto(),
  ]);
  console.error(
    `[rolling-cluster] ${cluster.version} at ${cluster.server} with controller-manager, scheduler and KWOK ready in ${Date.now() - started} ms; SQS at ${sqs.address}`,
  );
  const {
    stopApiServer: _stop,
    startApiServer: _start,
    signalApiServer: _signal,
    stop: _teardown,
    extraPids: _pids,
    ...info
  } = cluster;
  project.provide("controlPlane", info);
  project.provide("sqsEndpoint", sqs.address);
  project.provide("motoEndpoint", moto.endpoint);

  let stopping: Promise<void> | undefined;
  const teardown = async () => {
    stopping ??= Promise.all([cluster.stop(), sqs.stop(), moto.release()]).then(() => undefined);
    await stopping;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void teardown().finally(() => process.exit(130));
    });
  }
  return teardown;
}
