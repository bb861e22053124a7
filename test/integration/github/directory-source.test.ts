/**
 * The directory adapter (what `pullbridge diff/sync <dir>` reads) against the worker's tarball
 * source on the same real git checkout: the same tree, the same manifests, the same limit errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifests } from "../../../lib/manifests/load-manifests.ts";
import { readDirectoryTree } from "../../../lib/source/directory-source.ts";
import { DEFAULT_SOURCE_LIMITS, type SourceLimits } from "../../../lib/source/git-source.ts";
import { createLocalGitSource } from "../../../lib/source/local-git-source.ts";
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
      path: "deploy",
      limits: DEFAULT_SOURCE_LIMITS,
    });
    const fromDisk = await readDirectoryTree("deploy", { cwd: repo.dir });

    // Assess
    expect(fromDisk.targetPath).toBe("deploy");
    expect(text(fromDisk.files)).toEqual(text(fromCommit));
    expect(Object.keys(text(fromDisk.files))).not.toContain("deploy/linked.yaml");
    expect(fromDisk.files.links).toEqual([{ path: "deploy/linked.yaml", target: "../other/elsewhere.yaml" }]);
    expect(fromDisk.files.links).toEqual(fromCommit.links);
    expect(fromDisk.files.skipped).toEqual(fromCommit.skipped);
    const loaded = (files: ReadonlyMap<string, Uint8Array>) =>
      loadManifests({ files, targetPath: "deploy", policy }).map(
        (o) => `${o.source.file}:${o.object.metadata?.name}`,
      );
    expect(loaded(fromDisk.files)).toEqual(loaded(fromCommit));
    expect(loaded(fromDisk.files)).toEqual([
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
      const fromCommit = git.fetchTree({ repo: REPO, sha, path: "deploy", limits });
      const fromDisk = readDirectoryTree("deploy", { cwd: repo.dir, limits });

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

  it("keys files relative to the directory itself when it lies outside the working directory", async () => {
    // Act
    const tree = await readDirectoryTree(`${repo.dir}/deploy/nested`, { cwd: `${repo.dir}/other` });

    // Assess
    expect(tree.targetPath).toBe(".");
    expect(Object.keys(text(tree.files))).toEqual(["db.yml"]);
  });
});
