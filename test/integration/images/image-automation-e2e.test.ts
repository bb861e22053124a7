/**
 * Image automation end to end on real servers: the AWS-documented ECR push event → the real
 * intake handler → fauxqs (image FIFO queue) → the real updater handler → a real commit in the
 * GitHub fake's git repository (Git data API, OpenAPI-validated) → its push through the real
 * webhook → the worker → the real kube-apiserver, where the Deployment now names the new tag.
 * And GHCR: a signed `package` delivery queues an image job; a badly signed one queues nothing.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { AppsV1Api } from "@kubernetes/client-node";
import type { SQSEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import {
  createImageIntakeHandler,
  createImageUpdaterHandler,
} from "../../../functions/images/create-handler.ts";
import { createGitHubImageRepo } from "../../../lib/github/adapters/github-image-repo.ts";
import { DEFAULT_IMAGE_COMMIT_IDENTITY } from "../../../lib/images/image-repo.ts";
import { pollOnce } from "../../../lib/jobs/adapters/lambda-sqs-event-source.ts";
import { createSqsImageJobQueue } from "../../../lib/jobs/adapters/sqs-image-job-queue.ts";
import { METRIC_NAMESPACE, ServiceName } from "../../../lib/telemetry/metric-names.ts";
import {
  ECR_ACCOUNT,
  ECR_REGION,
  ECR_WEB,
  ecrPushEvent,
  markedDeployment,
  packagePublishedPayload,
} from "../../factories/images.ts";
import { httpApiEvent, signedDelivery } from "../../factories/webhook.ts";
import { lambdaContext, webhookLambda } from "../../factories/webhook-lambda.ts";
import { type Bridge, startBridge } from "../../support/bridge.ts";
import { TEST_INSTALLATION_ID } from "../../support/github-fake/github-world.ts";
import { kubeConfigFor } from "../../support/kube.ts";
import { createFifoWithDlq } from "../../support/sqs.ts";

const silent = () => new Logger({ serviceName: ServiceName.Images, logLevel: "SILENT" });
const metrics = () => new Metrics({ namespace: METRIC_NAMESPACE, serviceName: ServiceName.Images });
const policy = { name: "web", repository: ECR_WEB, semver: "^1.0.0" };

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function imageBridge() {
  bridge = await startBridge({ target: { images: { policies: [policy] } } });
  const images = await createFifoWithDlq(bridge.sqs);
  const world = bridge.world;
  const intake = createImageIntakeHandler({
    targets: bridge.config.targets,
    queue: createSqsImageJobQueue({
      client: bridge.sqs,
      queueUrl: images.queueUrl,
    }),
    logger: silent(),
    metrics: metrics(),
  });
  const updater = createImageUpdaterHandler({
    targets: bridge.config.targets,
    repoFor: async () =>
      createGitHubImageRepo({
        octokit: (await world.clients.forInstallation(TEST_INSTALLATION_ID, world.repoName)).octokit,
      }),
    identity: DEFAULT_IMAGE_COMMIT_IDENTITY,
    logger: silent(),
    metrics: metrics(),
  });
  const source = {
    sqs: bridge.sqs,
    queueUrl: images.queueUrl,
    waitTimeSeconds: 0,
    visibilityTimeout: 60,
    releaseFailuresImmediately: true,
  };
  return {
    bridge,
    images,
    intake: (event: unknown) =>
      intake(event, lambdaContext("intake", { functionName: "pullbridge-test-images-intake" })),
    runUpdater: () =>
      pollOnce(source, (event: SQSEvent) =>
        updater(event, lambdaContext("images", { functionName: "pullbridge-test-images" })),
      ),
  };
}

const deploymentImage = async (namespace: string) =>
  (await kubeConfigFor("admin").makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace, name: "web" }))
    .spec?.template.spec?.containers[0]?.image;

describe("image automation, end to end", () => {
  it("ECR push → commit in Git → push → sync → the Deployment runs the new tag", async () => {
    // Prepare: the cluster runs 1.4.1 from Git.
    const { bridge, intake, runUpdater } = await imageBridge();
    const first = await bridge.push({ "deploy/deployment.yaml": markedDeployment() });
    await bridge.drain();
    expect(await deploymentImage(bridge.namespace)).toBe(`${ECR_WEB}:1.4.1`);

    // Act: ECR announces 1.4.2.
    const event = ecrPushEvent({
      repositoryName: "web",
      account: ECR_ACCOUNT,
      region: ECR_REGION,
      tag: "1.4.2",
      id: "evt-1",
    });
    const queued = await intake(event);
    const updated = await runUpdater();
    const head = await bridge.world.repo.head("main");
    const delivered = await bridge.deliverPush(head, { modified: ["deploy/deployment.yaml"] });
    await bridge.drain();

    // Assess
    expect(queued).toMatchObject({ kind: "queued", jobs: 1 });
    expect(updated).toMatchObject({ received: 1, succeeded: 1, failed: 0 });
    expect(await bridge.world.repo.git("rev-parse", `${head}^`)).toBe(first.sha);
    expect(await bridge.world.repo.git("log", "-1", "--format=%s", head)).toBe(
      "web: 1.4.1 → 1.4.2 (ECR push sha256:7f5b2640fe6f)",
    );
    expect(`${await bridge.world.repo.git("show", `${head}:deploy/deployment.yaml`)}\n`).toBe(
      markedDeployment().replace(":1.4.1 #", ":1.4.2 #"),
    );
    expect(delivered).toMatchObject({ status: 202, body: { queued: ["web"] } });
    expect(await deploymentImage(bridge.namespace)).toBe(`${ECR_WEB}:1.4.2`);
    expect(bridge.world.fake.statuses(head).at(-1)).toMatchObject({
      state: "success",
      context: "pullbridge/web",
    });
    expect(bridge.world.fake.violations).toEqual([]);
  });

  it("a rejected event (other account) queues nothing; an older tag is queued but commits nothing", async () => {
    // Prepare
    const { bridge, intake, runUpdater } = await imageBridge();
    await bridge.push({ "deploy/deployment.yaml": markedDeployment() });
    const before = await bridge.world.repo.head("main");

    // Act
    const otherAccount = await intake(
      ecrPushEvent({ repositoryName: "web", account: "999999999999", region: ECR_REGION, tag: "1.9.0" }),
    );
    const older = await intake(
      ecrPushEvent({
        repositoryName: "web",
        account: ECR_ACCOUNT,
        region: ECR_REGION,
        tag: "1.0.0",
        id: "evt-old",
      }),
    );
    const updated = await runUpdater();

    // Assess
    expect(otherAccount).toMatchObject({ kind: "rejected", code: "account-not-allowed" });
    expect(older).toMatchObject({ kind: "queued", jobs: 1 });
    expect(updated).toMatchObject({ received: 1, succeeded: 1 });
    expect(await bridge.world.repo.head("main")).toBe(before);
    expect(
      Object.keys(bridge.world.fake.restCallsByRoute()).filter(
        (r) => r.includes("/git/") && !r.startsWith("GET"),
      ),
    ).toEqual([]);
  });

  it("GHCR: a signed package delivery queues an image job; a badly signed one is refused and queues nothing", async () => {
    // Prepare
    bridge = await startBridge({
      target: {
        images: { policies: [{ name: "hello", repository: "ghcr.io/codertocat/hello-world", semver: "*" }] },
      },
    });
    const images = await createFifoWithDlq(bridge.sqs);
    const webhook = webhookLambda({
      sqs: bridge.sqs,
      queueUrl: bridge.queue.queueUrl,
      imageQueueUrl: images.queueUrl,
      targets: bridge.config.targets,
    });
    const payload = packagePublishedPayload({ tag: "1.2.3" });

    // Act
    const bad = await webhook(
      httpApiEvent(await signedDelivery({ event: "package", payload, secret: "wrong-secret" })),
      lambdaContext(),
    );
    const good = await webhook(
      httpApiEvent(await signedDelivery({ event: "package", payload, deliveryId: "pkg-1" })),
      lambdaContext(),
    );
    const received = await bridge.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: images.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const syncJobs = await bridge.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: bridge.queue.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
      }),
    );

    // Assess
    expect(bad.statusCode).toBe(401);
    expect(good.statusCode).toBe(202);
    expect(JSON.parse(good.body ?? "{}")).toEqual({ queued: [], imageJobs: 1 });
    expect(
      (received.Messages ?? []).map((m) => JSON.parse(m.Body ?? "{}") as Record<string, unknown>),
    ).toEqual([
      expect.objectContaining({
        type: "image",
        repo: bridge.world.repoName,
        branch: "main",
        targets: ["web"],
        eventId: "pkg-1",
        image: expect.objectContaining({
          source: "ghcr",
          repository: "ghcr.io/codertocat/hello-world",
          tag: "1.2.3",
        }),
      }),
    ]);
    expect(syncJobs.Messages ?? []).toEqual([]);
  });
});
