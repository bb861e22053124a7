/** The local-git GitSource (local mode) against a real repository: same port, same limits. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalGitSource } from "../../../lib/source/adapters/local-git-source.ts";
import { DEFAULT_SOURCE_LIMITS } from "../../../lib/source/git-source.ts";
import { createGitRepo, type GitRepo } from "../../support/git-repo.ts";

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe("local git source", () => {
  let repo: GitRepo;
  let first: string;
  let second: string;

  beforeAll(async () => {
    repo = await createGitRepo();
    first = await repo.commitFiles({
      "apps/web/a.yaml": "a: 1\n",
      "apps/web/b.yaml": "b: 1\n",
      "apps/web2/c.yaml": "c\n",
    });
    await repo.symlink("apps/web/link.yaml", "../../apps/web2/c.yaml");
    second = await repo.commitFiles({ "apps/web/a.yaml": "a: 2\n", "apps/web/b.yaml": null });
  });
  afterAll(async () => {
    await repo.remove();
  });

  it("reads the branch head", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: repo.dir });

    // Act
    const head = await source.headSha({ repo: "acme/deploy", branch: "main" });

    // Assess
    expect(head).toBe(second);
  });

  it("returns the files under the path at each sha, without symlinks", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: () => repo.dir });

    // Act
    const atFirst = await source.fetchTree({
      repo: "acme/deploy",
      sha: first,
      paths: ["apps/web"],
      limits: DEFAULT_SOURCE_LIMITS,
    });
    const atSecond = await source.fetchTree({
      repo: "acme/deploy",
      sha: second,
      paths: ["apps/web"],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    expect([...atFirst.keys()].sort()).toEqual(["apps/web/a.yaml", "apps/web/b.yaml"]);
    expect([...atSecond.keys()]).toEqual(["apps/web/a.yaml"]);
    expect(text(atSecond.get("apps/web/a.yaml"))).toBe("a: 2\n");
  });

  it("returns an empty tree for a path that does not exist at that commit", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: repo.dir });

    // Act
    const tree = await source.fetchTree({
      repo: "acme/deploy",
      sha: first,
      paths: ["nowhere"],
      limits: DEFAULT_SOURCE_LIMITS,
    });

    // Assess
    expect(tree.size).toBe(0);
  });

  it("enforces the same limits", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: repo.dir });

    // Act
    const result = source.fetchTree({
      repo: "acme/deploy",
      sha: first,
      paths: ["."],
      limits: { maxFiles: 2, maxBytes: 1_000 },
    });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "SourceError",
      retryable: false,
      message: expect.stringContaining("maxFiles=2"),
    });
  });

  it("reports unknown commits and branches as permanent", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: repo.dir });

    // Act: settle both before asserting, so neither rejection is ever left without a handler.
    const [sha, branch] = await Promise.allSettled([
      source.fetchTree({
        repo: "acme/deploy",
        sha: "e".repeat(40),
        paths: ["."],
        limits: DEFAULT_SOURCE_LIMITS,
      }),
      source.headSha({ repo: "acme/deploy", branch: "gone" }),
    ]);

    // Assess
    expect(sha).toMatchObject({ status: "rejected", reason: { name: "SourceError", retryable: false } });
    expect(branch).toMatchObject({ status: "rejected", reason: { name: "SourceError", retryable: false } });
  });

  it("answers a head lookup with the head as its ETag, and unchanged when asked with it", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: repo.dir });
    const at = { repo: "acme/deploy", branch: "main" };

    // Act
    const full = await source.resolveHead?.(at);
    const again = await source.resolveHead?.({ ...at, etag: second });
    const stale = await source.resolveHead?.({ ...at, etag: first });

    // Assess
    expect(full).toEqual({ kind: "found", sha: second, etag: second });
    expect(again).toEqual({ kind: "unchanged" });
    expect(stale).toEqual({ kind: "found", sha: second, etag: second });
  });

  it("walks every entry of a commit once: files with their content, symbolic links with their target", async () => {
    // Prepare
    const source = createLocalGitSource({ directory: repo.dir });
    const seen: string[] = [];

    // Act
    await source.walkCommit?.({ repo: "acme/deploy", sha: second }, async (entry) => {
      seen.push(
        entry.kind === "file"
          ? `${entry.path}=${text(entry.content).trim()}`
          : entry.kind === "symlink"
            ? `${entry.path}->${entry.target}`
            : `${entry.path} (hard link)`,
      );
    });

    // Assess
    expect(seen.sort()).toEqual([
      "apps/web/a.yaml=a: 2",
      "apps/web/link.yaml->../../apps/web2/c.yaml",
      "apps/web2/c.yaml=c",
    ]);
  });
});
