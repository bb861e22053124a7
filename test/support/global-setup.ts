/**
 * vitest globalSetup for the integration project: one real control plane, one real
 * SQS-protocol endpoint and one moto (S3, STS, KMS, CloudWatch) per test run, shared by every
 * test file; each test isolates itself with its own namespace, queues and buckets.
 */
import { startFauxqs } from "fauxqs";
import type { TestProject } from "vitest/node";
import { type ControlPlaneInfo, ensureBinaries, startControlPlane } from "./control-plane/control-plane.ts";
import { acquireSharedMoto } from "./moto.ts";
import { startTokenWebhook } from "./token-webhook.ts";

declare module "vitest" {
  export interface ProvidedContext {
    controlPlane: ControlPlaneInfo;
    sqsEndpoint: string;
    /** moto in server mode (test/support/moto.ts); sign with MOTO_CREDENTIALS in MOTO_REGION. */
    motoEndpoint: string;
    /** The control plane's EKS-style token authenticator (test/support/token-webhook.ts): add access entries there. */
    tokenWebhook: string;
  }
}

export default async function setup(project: TestProject) {
  const binDir = await ensureBinaries();
  const started = Date.now();
  const motoStarting = acquireSharedMoto();
  // Started first (milliseconds): the API server is told its address; moto is needed only per review.
  const tokenWebhook = await startTokenWebhook({ stsEndpoint: async () => (await motoStarting).endpoint });
  const [controlPlane, sqs, moto] = await Promise.all([
    startControlPlane({ binDir, tokenWebhook: tokenWebhook.url }),
    startFauxqs({ port: 0, logger: false }),
    motoStarting,
  ]);
  console.error(
    `[control-plane] ${controlPlane.version} at ${controlPlane.server} ready in ${Date.now() - started} ms; SQS at ${sqs.address}`,
  );
  const {
    stopApiServer: _stop,
    startApiServer: _start,
    signalApiServer: _signal,
    stop: _teardown,
    ...info
  } = controlPlane;
  project.provide("controlPlane", info);
  project.provide("sqsEndpoint", sqs.address);
  project.provide("motoEndpoint", moto.endpoint);
  project.provide("tokenWebhook", tokenWebhook.url);

  let stopping: Promise<void> | undefined;
  const teardown = async () => {
    stopping ??= Promise.all([controlPlane.stop(), sqs.stop(), moto.release(), tokenWebhook.stop()]).then(
      () => undefined,
    );
    await stopping;
  };
  // vitest runs the returned teardown on normal exit; these cover Ctrl-C and kill.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void teardown().finally(() => process.exit(130));
    });
  }
  return teardown;
}
