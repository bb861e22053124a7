/**
 * The image-update commit against the GitHub fake's Git data API, which writes real commits into
 * a real git repository: fast-forward only, re-read and re-apply on a concurrent push, never a
 * force push, pull-request mode, and no loop.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  DEFAULT_IMAGE_COMMIT_IDENTITY,
  IMAGE_UPDATE_TRAILER,
  runImageJob,
} from "../../../lib/app/run-image-job.ts";
import { createGitHubImageRepo } from "../../../lib/github/adapters/github-image-repo.ts";
import type { ImageRepo } from "../../../lib/images/image-repo.ts";
import { routeDelivery } from "../../../lib/webhook/route-delivery.ts";
import { digest, ECR_WEB, imageJob, imageTarget, markedDeployment } from "../../factories/images.ts";
import { pushPayload } from "../../factories/webhook.ts";
import {
  type GitHubWorld,
  startGitHubWorld,
  TEST_INSTALLATION_ID,
} from "../../support/github-fake/github-world.ts";

const DEPLOYMENT = "apps/web/deployment.yaml";
const API = "ghcr.io/acme/api";
const apiDeployment = markedDeployment({
  image: `${API}:2.0.0`,
  marker: "pullbridge:image api",
  name: "api",
});
const targets = [
  imageTarget({
    policies: [
      { name: "web", repository: ECR_WEB, semver: "^1.0.0" },
      { name: "api", repository: API, semver: "^2.0.0" },
    ],
  }),
];

describe("image-update commits through the Git data API", () => {
  let world: GitHubWorld;
  let repo: ImageRepo;
  let base: string;

  beforeAll(async () => {
    world = await startGitHubWorld({ mode: "app" });
    const { octokit } = await world.clients.forInstallation(TEST_INSTALLATION_ID, world.repoName);
    repo = createGitHubImageRepo({ octokit });
  });
  afterAll(async () => {
    await world.close();
  });
  beforeEach(async () => {
    // The fake moves refs without touching the working tree: bring it along before committing by hand.
    await world.repo.git("reset", "--hard", "--quiet");
    base = await world.repo.commitFiles(
      { [DEPLOYMENT]: markedDeployment(), "apps/web/api.yaml": apiDeployment, "README.md": "docs\n" },
      "app manifests",
    );
    world.fake.reset();
  });
  afterEach(() => {
    world.fake.gitData.beforeRefUpdate(undefined);
    expect(world.fake.violations).toEqual([]);
  });

  const show = (rev: string, path: string) => world.repo.git("show", `${rev}:${path}`);
  const log = (range: string) => world.repo.git("log", "--format=%H %P", range);

  it("commits only the tag edit on top of the branch, with an identity and message that say why", async () => {
    // Act
    const result = await runImageJob(imageJob("1.4.2"), { targets, repo });

    // Assess
    expect(result.kind).toBe("committed");
    if (result.kind !== "committed") return;
    const head = await world.repo.head("main");
    expect(head).toBe(result.sha);
    expect(await world.repo.git("rev-parse", `${head}^`)).toBe(base);
    expect(`${await show(head, DEPLOYMENT)}\n`).toBe(markedDeployment().replace(":1.4.1 #", ":1.4.2 #"));
    expect(await world.repo.git("diff", "--name-only", base, head)).toBe(DEPLOYMENT);
    expect(await world.repo.git("log", "-1", "--format=%s", head)).toBe(
      `web: 1.4.1 → 1.4.2 (ECR push ${digest("1.4.2").slice(0, 19)})`,
    );
    expect(await world.repo.git("log", "-1", "--format=%an <%ae>|%cn <%ce>", head)).toBe(
      `${DEFAULT_IMAGE_COMMIT_IDENTITY.name} <${DEFAULT_IMAGE_COMMIT_IDENTITY.email}>|${DEFAULT_IMAGE_COMMIT_IDENTITY.name} <${DEFAULT_IMAGE_COMMIT_IDENTITY.email}>`,
    );
    expect(
      await world.repo.git("log", "-1", `--format=%(trailers:key=${IMAGE_UPDATE_TRAILER},valueonly)`, head),
    ).toBe("ecr ecr-1.4.2");
    expect(world.fake.gitData.refUpdates).toMatchObject({ forced: 0 });
    expect(world.fake.restCallsByRoute()["PATCH /repos/{owner}/{repo}/git/refs/{ref}"]).toBe(1);
  });

  it("nothing to change (older, same or non-matching tag): no commit, no write call", async () => {
    for (const tag of ["1.4.1", "1.3.0", "2.0.0"]) {
      const result = await runImageJob(imageJob(tag), { targets, repo });
      expect(result.kind).toBe("unchanged");
    }
    expect(await world.repo.head("main")).toBe(base);
    expect(Object.keys(world.fake.restCallsByRoute()).filter((r) => !r.startsWith("GET "))).toEqual([]);
  });

  it("two events racing for one branch: two commits, none lost, the loser re-reads and re-applies, no force", async () => {
    // Prepare: the first writer's ref update waits until the second writer has committed.
    let second: ReturnType<typeof runImageJob> | undefined;
    world.fake.gitData.beforeRefUpdate(async () => {
      if (second !== undefined) return;
      world.fake.gitData.beforeRefUpdate(undefined);
      second = runImageJob(
        imageJob("2.1.0", {
          image: { source: "ghcr", repository: API, tag: "2.1.0" },
          eventId: "ghcr-2.1.0",
        }),
        { targets, repo },
      );
      await second;
    });

    // Act
    const first = await runImageJob(imageJob("1.4.2"), { targets, repo });

    // Assess
    const other = await second;
    expect(other?.kind).toBe("committed");
    expect(first).toMatchObject({ kind: "committed", attempts: 2 });
    const head = await world.repo.head("main");
    expect(first.kind === "committed" && first.sha).toBe(head);
    const history = (await log(`${base}..main`)).split("\n");
    expect(history).toHaveLength(2);
    expect(history[1]).toBe(`${other?.kind === "committed" ? other.sha : ""} ${base}`);
    expect(await show(head, DEPLOYMENT)).toContain(`${ECR_WEB}:1.4.2 #`);
    expect(await show(head, "apps/web/api.yaml")).toContain(`${API}:2.1.0 #`);
    expect(world.fake.gitData.refUpdates).toEqual({ fastForward: 2, rejected: 1, forced: 0 });
  });

  it("a concurrent human push: the edit is re-applied on top of it, the human change kept", async () => {
    // Prepare
    let human = "";
    world.fake.gitData.beforeRefUpdate(async () => {
      world.fake.gitData.beforeRefUpdate(undefined);
      human = await world.repo.commitFiles(
        { [DEPLOYMENT]: markedDeployment().replace("replicas: 2", "replicas: 5") },
        "scale web",
      );
    });

    // Act
    const result = await runImageJob(imageJob("1.5.0"), { targets, repo });

    // Assess
    expect(result).toMatchObject({ kind: "committed", attempts: 2 });
    const head = await world.repo.head("main");
    expect(await world.repo.git("rev-parse", `${head}^`)).toBe(human);
    expect(`${await show(head, DEPLOYMENT)}\n`).toBe(
      markedDeployment().replace("replicas: 2", "replicas: 5").replace(":1.4.1 #", ":1.5.0 #"),
    );
    expect(world.fake.gitData.refUpdates.forced).toBe(0);
  });

  it("gives up after the bounded attempts with a retryable error and writes nothing to the branch", async () => {
    // Prepare: someone pushes before every one of our ref updates.
    let n = 0;
    world.fake.gitData.beforeRefUpdate(async () => {
      n += 1;
      await world.repo.commitFiles({ "README.md": `docs ${n}\n` }, `human ${n}`);
    });

    // Act
    const error = await runImageJob(imageJob("1.4.2"), { targets, repo, maxAttempts: 3 }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toMatchObject({ name: "GitHubError", retryable: true });
    expect(await show("main", DEPLOYMENT)).toContain(":1.4.1 #");
    expect(world.fake.gitData.refUpdates).toEqual({ fastForward: 0, rejected: 3, forced: 0 });
  });

  it("pull-request mode: a branch and a pull request, the target branch untouched; the same event again finds it", async () => {
    // Prepare
    const prTargets = [imageTarget({ mode: "pull-request" })];
    const job = imageJob("1.6.0", { mode: "pull-request" });

    // Act
    const result = await runImageJob(job, { targets: prTargets, repo });
    const again = await runImageJob(job, { targets: prTargets, repo });

    // Assess
    expect(result).toMatchObject({
      kind: "proposed",
      branch: "pullbridge/images/main/web-1.6.0",
      pullRequest: { number: 1, created: true },
    });
    expect(again).toMatchObject({ kind: "proposed", pullRequest: { number: 1, created: false } });
    expect(await world.repo.head("main")).toBe(base);
    expect(await show("pullbridge/images/main/web-1.6.0", DEPLOYMENT)).toContain(":1.6.0 #");
    const { octokit } = await world.clients.forInstallation(TEST_INSTALLATION_ID, world.repoName);
    const pr = await octokit.rest.pulls.get({ owner: "acme", repo: "deploy", pull_number: 1 });
    expect(pr.data.base.ref).toBe("main");
    expect(pr.data.head.sha).toBe(await world.repo.head("pullbridge/images/main/web-1.6.0"));
  });

  it("no loop: the commit's push only syncs, a replayed event changes nothing, an image built from it is ignored", async () => {
    // Prepare
    const committed = await runImageJob(imageJob("1.4.3"), { targets, repo });
    if (committed.kind !== "committed") throw new Error(`expected a commit, got ${committed.kind}`);
    const pushOfOwnCommit = pushPayload({
      repo: "acme/deploy",
      branch: "main",
      before: base,
      after: committed.sha,
      commits: [{ modified: [DEPLOYMENT] }],
    });

    // Act
    const routed = routeDelivery(
      { event: "push", deliveryId: "d-own", payload: pushOfOwnCommit },
      targets,
      "2026-12-02T20:00:00.000Z",
    );
    const replay = await runImageJob(imageJob("1.4.3"), { targets, repo });
    const builtFromOwn = await runImageJob(
      imageJob("1.4.4", { builtFrom: { repo: "acme/deploy", sha: committed.sha } }),
      { targets, repo },
    );

    // Assess
    expect(routed.kind === "queue" && routed.jobs.map((j) => j.type)).toEqual(["sync"]);
    expect(replay.kind).toBe("unchanged");
    expect(builtFromOwn).toMatchObject({ kind: "ignored", code: "own-commit" });
    expect(await world.repo.head("main")).toBe(committed.sha);
  });

  it("a Flux marker on a kustomization's newTag: each push edits it once, and the file stays valid YAML", async () => {
    // Prepare: the adversarial run's layout (was committed as `1.10.00`, then as invalid YAML).
    const KUSTOMIZATION = "apps/web/kustomization.yaml";
    const kustomization = (tag: string) =>
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources: [deployment.yaml]",
        "images:",
        "  - name: web",
        `    newName: ${ECR_WEB}`,
        `    newTag: ${tag} # {"$imagepolicy": "kweb:tag"}`,
        "",
      ].join("\n");
    await world.repo.commitFiles({ [KUSTOMIZATION]: kustomization("1.9.0") }, "kustomize the web app");
    const kwebTargets = [
      imageTarget({ policies: [{ name: "kweb", repository: ECR_WEB, semver: ">=1.0.0" }] }),
    ];

    // Act
    const minor = await runImageJob(imageJob("1.10.0"), { targets: kwebTargets, repo });
    const afterMinor = await show("main", KUSTOMIZATION);
    const major = await runImageJob(imageJob("2.0.0"), { targets: kwebTargets, repo });
    const afterMajor = await show("main", KUSTOMIZATION);

    // Assess: one change per push, only the tag characters, through the Git data API.
    expect(minor).toMatchObject({
      kind: "committed",
      changes: [{ file: KUSTOMIZATION, from: "1.9.0", to: "1.10.0" }],
    });
    expect(major).toMatchObject({
      kind: "committed",
      changes: [{ file: KUSTOMIZATION, from: "1.10.0", to: "2.0.0" }],
    });
    expect(`${afterMinor}\n`).toBe(kustomization("1.10.0"));
    expect(`${afterMajor}\n`).toBe(kustomization("2.0.0"));
    expect(parse(afterMajor).images).toEqual([{ name: "web", newName: ECR_WEB, newTag: "2.0.0" }]);
    expect(await world.repo.git("diff", "--name-only", "main~2", "main")).toBe(KUSTOMIZATION);
  });

  it("a marker in the target's watch path (its base) is read, not edited, and the reason is returned", async () => {
    // Prepare: the overlay at apps/web/overlays/prod builds the base apps/web, whose Deployment has the marker.
    const overlay = [imageTarget({ path: "apps/web/overlays/prod", watch: ["apps/web"] })];
    await world.repo.commitFiles(
      { "apps/web/overlays/prod/kustomization.yaml": "resources: [../..]\n" },
      "prod overlay",
    );
    const head = await world.repo.head("main");

    // Act
    const result = await runImageJob(imageJob("1.4.2"), { targets: overlay, repo });

    // Assess: was "nothing to change" with no reason.
    expect(result).toMatchObject({
      kind: "unchanged",
      ignored: [{ file: DEPLOYMENT, line: 16, code: "outside-target-path" }],
    });
    expect(result.kind === "unchanged" && result.reason).toContain(
      `${DEPLOYMENT}:16: ${ECR_WEB}:1.4.1 → ${ECR_WEB}:1.4.2 not written: the file is in a watch path of target web-prod`,
    );
    expect(await world.repo.head("main")).toBe(head);
  });
});
