/**
 * The directory adapter (what `pullbridge diff/sync/render <dir>` reads) against the worker's
 * archive source on the same real git checkout: the same selection (a target's path and watch
 * paths), the same tree, the same manifests, the same limit errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests } from "../../../lib/manifests/load-manifests.ts";
import { readDirectoryTree } from "../../../lib/source/adapters/directory-source.ts";
import { createLocalGitSource } from "../../../lib/source/adapters/local-git-source.ts";
import { DEFAULT_SOURCE_LIMITS, type SourceLimits } from "../../../lib/source/git-source.ts";
import { configMapYaml } from "../../factories/manifest-text.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";

const REPO = "acme/deploy";
const text = (tree: ReadonlyMap<string, Uint8Array>) =>
  Object.fromEntries([...tree].map(([path, bytes]) => [path, new TextDecoder().decode(bytes)]));

describe("directory source", () => {
  let repo: GitRepo;
  let sha: string;

  beforeAll(async () => {
    repo = await createGitRepo();
    sha = await repo.commitFiles({
      "deploy/app.yaml": configMapYaml("app", { a: "1" }),
      "deploy/nested/db.yml": configMapYaml("db", { b: "2" }),
      "deploy/raw.json": JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "raw" } }),
      "deploy/.github/workflows/ci.yaml": "on: push\n",
      "deploy/.hidden.yaml": "not: a manifest\n",
      "deploy/README.md": "# deploy\n",
      "deploy/upper.YAML": "kind: nope\n",
      "other/elsewhere.yaml": configMapYaml("elsewhere", {}),
    });
    await repo.symlink("deploy/linked.yaml", "../other/elsewhere.yaml");
    sha = await repo.commit("add a symlink");
  });
  afterAll(async () => {
    await repo.remove();
  });

  it("reads the same tree as the worker's source at the commit, so the same manifests load", async () => {
    // Prepare
    const git = createLocalGitSource({ directory: repo.dir });
    const policy = { namespaces: ["*"], deniedKinds: [], maxObjectBytes: 1_000_000 };

    // Act
    const fromCommit = await git.fetchTree({
      repo: REPO,
      sha,
      paths: ["deploy"],
      limits: DEFAULT_SOURCE_LIMITS,
    });
    const fromDisk = await readDirectoryTree(repo.dir, { paths: ["deploy"] });

    // Assess
    expect(text(fromDisk)).toEqual(text(fromCommit));
    expect(Object.keys(text(fromDisk))).not.toContain("deploy/linked.yaml");
    expect(fromDisk.links).toEqual([{ path: "deploy/linked.yaml", target: "../other/elsewhere.yaml" }]);
    expect(fromDisk.links).toEqual(fromCommit.links);
    expect(fromDisk.skipped).toEqual(fromCommit.skipped);
    const loaded = (files: ReadonlyMap<string, Uint8Array>) =>
      loadManifests({ files, targetPath: "deploy", policy }).map(
        (o) => `${o.source.file}:${o.object.metadata?.name}`,
      );
    expect(loaded(fromDisk)).toEqual(loaded(fromCommit));
    expect(loaded(fromDisk)).toEqual([
      "deploy/app.yaml:app",
      "deploy/nested/db.yml:db",
      "deploy/raw.json:raw",
    ]);
  });

  it.each([
    ["files", { maxFiles: 3, maxBytes: 1_000_000 }],
    ["bytes", { maxFiles: 100, maxBytes: 100 }],
  ] as const)(
    "fails on the same %s limit, with the same reason, as the worker's source",
    async (_what, limits: SourceLimits) => {
      // Prepare
      const git = createLocalGitSource({ directory: repo.dir });

      // Act
      const fromCommit = git.fetchTree({ repo: REPO, sha, paths: ["deploy"], limits });
      const fromDisk = readDirectoryTree(repo.dir, { paths: ["deploy"], limits });

      // Assess
      const reason = (error: unknown) => String((error as Error).message).replace(/^[^:]+: /, "");
      const [commitError, diskError] = await Promise.all([
        fromCommit.then(() => undefined, reason),
        fromDisk.then(() => undefined, reason),
      ]);
      expect(commitError).toMatch(/limit max(Files|Bytes)=/);
      expect(diskError).toBe(commitError);
    },
  );

  it("reads a path and its watch paths only: files beside them are neither read nor counted", async () => {
    // Prepare
    const overlay = await createGitRepo();
    const big = "x".repeat(25 * 1024 * 1024);
    const at = await overlay.commitFiles({
      "apps/web/overlays/prod/kustomization.yaml": "resources:\n  - ../../base\n",
      "apps/web/base/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "apps/web/base/cm.yaml": configMapYaml("web", {}),
      // Under the path's and the base's common directory, and elsewhere: over maxBytes (20 MiB) each.
      "apps/web/docs/recording.txt": big,
      "assets/dump.txt": big,
    });
    const paths = ["apps/web/overlays/prod", "apps/web/base"];

    try {
      // Act
      const fromCommit = await createLocalGitSource({ directory: overlay.dir }).fetchTree({
        repo: REPO,
        sha: at,
        paths,
        limits: DEFAULT_SOURCE_LIMITS,
      });
      const fromDisk = await readDirectoryTree(overlay.dir, { paths });

      // Assess
      expect(Object.keys(text(fromDisk))).toEqual([
        "apps/web/base/cm.yaml",
        "apps/web/base/kustomization.yaml",
        "apps/web/overlays/prod/kustomization.yaml",
      ]);
      expect(text(fromDisk)).toEqual(text(fromCommit));
    } finally {
      await overlay.remove();
    }
  });
});
