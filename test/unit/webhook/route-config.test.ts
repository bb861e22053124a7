/** Routing deliveries to the config repository's jobs: config, environment and remove jobs. Pure. */
import { describe, expect, it } from "vitest";
import { createDeliveryHandler } from "../../../lib/app/handle-delivery.ts";
import { type ConfigRouting, routeConfigEvents } from "../../../lib/webhook/route-config.ts";
import { pullRequestPayload, pushPayload, sha, signedDelivery } from "../../factories/webhook.ts";
import { deliveryDeps } from "../../factories/webhook-fakes.ts";

const facts = { deliveryId: "d-1", receivedAt: "2026-01-02T03:04:05.000Z" };

const routing: ConfigRouting = {
  configRepository: { repo: "acme/platform", branch: "main", path: "pullbridge" },
  directorySources: [
    { generator: "apps", repo: "acme/apps", branch: "main", glob: "apps/*/overlays/prod", exclude: [] },
  ],
  pullRequestGenerators: [
    { name: "web", spec: { repo: "acme/web", branch: "main", label: "preview", ttlHours: 168 } },
  ],
};

const push = (
  repo: string,
  files: { added?: string[]; modified?: string[]; removed?: string[] },
  extra = {},
) => pushPayload({ repo, branch: "main", after: sha("after"), commits: [files], ...extra });

/** A pull_request of `acme/web` (or `repo`) with labels, head branch and head repository. */
function pull(action: string, options: { labels?: string[]; headRepo?: string; repo?: string } = {}) {
  const repo = options.repo ?? "acme/web";
  const payload = pullRequestPayload({ action, number: 7, baseRef: "main", headSha: sha("head"), repo });
  const pr = payload.pull_request as Record<string, Record<string, unknown>>;
  Object.assign(pr.head ?? {}, { ref: "feature", repo: { full_name: options.headRepo ?? repo } });
  Object.assign(pr, {
    state: action === "closed" ? "closed" : "open",
    labels: (options.labels ?? []).map((name) => ({ name })),
  });
  return payload;
}

describe("routeConfigEvents: pushes", () => {
  it("queues a config job for a push to the config path, carrying the pushed commit", () => {
    // Act
    const route = routeConfigEvents(
      "push",
      push("acme/platform", { modified: ["pullbridge/web.yaml"] }),
      routing,
      facts,
    );

    // Assess
    expect(route.jobs).toEqual([
      expect.objectContaining({
        type: "config",
        target: "pullbridge:config",
        repo: "acme/platform",
        sha: sha("after"),
      }),
    ]);
  });

  it("ignores a config repository push outside the config path, and one to another branch", () => {
    // Act
    const outside = routeConfigEvents(
      "push",
      push("acme/platform", { modified: ["README.md"] }),
      routing,
      facts,
    );
    const branch = routeConfigEvents(
      "push",
      pushPayload({ repo: "acme/platform", branch: "dev", commits: [{ modified: ["pullbridge/web.yaml"] }] }),
      routing,
      facts,
    );

    // Assess
    expect(outside.jobs).toEqual([]);
    expect(branch.jobs).toEqual([]);
  });

  it("re-expands when a push adds or removes a file inside a directory a generator lists, not when it only edits one", () => {
    // Act
    const added = routeConfigEvents(
      "push",
      push("acme/apps", { added: ["apps/new/overlays/prod/kustomization.yaml"] }),
      routing,
      facts,
    );
    const removed = routeConfigEvents(
      "push",
      push("acme/apps", { removed: ["apps/old/overlays/prod/deep/x.yaml"] }),
      routing,
      facts,
    );
    const edited = routeConfigEvents(
      "push",
      push("acme/apps", { modified: ["apps/web/overlays/prod/kustomization.yaml"] }),
      routing,
      facts,
    );
    const elsewhere = routeConfigEvents(
      "push",
      push("acme/apps", { added: ["apps/new/overlays/dev/k.yaml"] }),
      routing,
      facts,
    );

    // Assess
    expect(added.jobs).toEqual([expect.objectContaining({ type: "config", repo: "acme/platform" })]);
    expect(added.jobs[0]).not.toHaveProperty("sha");
    expect(added.reasons).toEqual([
      "push to acme/apps@main may add or remove apps/new/overlays/prod (generator apps)",
    ]);
    expect(removed.jobs).toHaveLength(1);
    expect(edited.jobs).toEqual([]);
    expect(elsewhere.jobs).toEqual([]);
  });

  it("re-expands on a push whose files it cannot know (forced)", () => {
    // Act
    const route = routeConfigEvents(
      "push",
      push("acme/apps", { modified: ["x"] }, { forced: true }),
      routing,
      facts,
    );

    // Assess
    expect(route.jobs).toHaveLength(1);
  });
});

describe("routeConfigEvents: pull requests", () => {
  it("validates a pull request into the config repository (and installs nothing)", () => {
    // Act
    const route = routeConfigEvents(
      "pull_request",
      pull("opened", { repo: "acme/platform" }),
      routing,
      facts,
    );

    // Assess
    expect(route.jobs).toEqual([
      expect.objectContaining({ type: "config", pullRequest: { number: 7, headSha: sha("head") } }),
    ]);
  });

  it("syncs a labelled pull request's environment at its head branch", () => {
    // Act
    const route = routeConfigEvents("pull_request", pull("labeled", { labels: ["preview"] }), routing, facts);

    // Assess
    expect(route.jobs).toEqual([
      expect.objectContaining({
        type: "environment",
        target: "web-pr-7",
        repo: "acme/web",
        generator: "web",
        ref: "refs/heads/feature",
        sha: sha("head"),
        pullRequest: { number: 7, branch: "feature" },
      }),
    ]);
  });

  it("removes the environment when the pull request closes or loses its label", () => {
    // Act
    const closed = routeConfigEvents("pull_request", pull("closed", { labels: ["preview"] }), routing, facts);
    const unlabeled = routeConfigEvents("pull_request", pull("unlabeled", { labels: [] }), routing, facts);

    // Assess
    for (const route of [closed, unlabeled]) {
      expect(route.jobs).toEqual([
        expect.objectContaining({
          type: "remove",
          target: "web-pr-7",
          environment: { generator: "web", number: 7 },
          reportOn: { repo: "acme/web", sha: sha("head") },
        }),
      ]);
    }
  });

  it("never makes an environment for a fork or an unlabelled pull request", () => {
    // Act
    const fork = routeConfigEvents(
      "pull_request",
      pull("opened", { labels: ["preview"], headRepo: "mallory/web" }),
      routing,
      facts,
    );
    const plain = routeConfigEvents("pull_request", pull("opened"), routing, facts);

    // Assess
    expect(fork.jobs).toEqual([]);
    expect(fork.reasons).toEqual(["pull request #7 comes from a fork (mallory/web): no environment"]);
    expect(plain.jobs).toEqual([]);
  });
});

describe("the delivery handler with a stored config", () => {
  it("answers 503 (redeliverable) when the stored config cannot be read, and queues nothing", async () => {
    // Prepare
    const { deps, queue } = deliveryDeps({
      config: async () => {
        throw new Error("S3 is down");
      },
    });
    const request = await signedDelivery({
      event: "push",
      payload: push("acme/platform", { modified: ["pullbridge/a.yaml"] }),
    });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ error: "stored config unavailable; redeliver later" });
    expect(queue.jobs).toEqual([]);
  });

  it("queues config jobs for a delivery the targets ignore", async () => {
    // Prepare
    const { deps, queue } = deliveryDeps({ config: async () => ({ targets: [], routing }) });
    const request = await signedDelivery({
      event: "push",
      payload: push("acme/platform", { modified: ["pullbridge/a.yaml"] }),
    });

    // Act
    const response = await createDeliveryHandler(deps)(request);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ queued: ["pullbridge:config"] });
    expect(queue.jobs).toEqual([expect.objectContaining({ type: "config", deliveryId: request.deliveryId })]);
  });
});
