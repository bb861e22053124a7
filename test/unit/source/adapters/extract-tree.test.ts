import { randomBytes } from "node:crypto";
import { createGunzip, createGzip } from "node:zlib";
import { describe, expect, it } from "vitest";
import { SourceError } from "../../../../lib/errors.ts";
import {
  chainStreams,
  extractTree,
  limitArchiveBytes,
  selectEntryPath,
} from "../../../../lib/source/adapters/extract-tree.ts";
import { HARD_LINK_REASON, type SourceLimits } from "../../../../lib/source/git-source.ts";
import { buildTarball, githubTarballEntries, streamOf } from "../../../factories/github-tarball.ts";

const PREFIX = "acme-deploy-0123456";
const roomy: SourceLimits = { maxFiles: 100, maxBytes: 1_000_000 };
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

describe("selectEntryPath", () => {
  it.each([
    [`${PREFIX}/apps/web/deploy.yaml`, "apps/web", "apps/web/deploy.yaml"],
    [`${PREFIX}/apps/web/nested/cm.yaml`, "apps/web", "apps/web/nested/cm.yaml"],
    [`${PREFIX}/apps/web2/deploy.yaml`, "apps/web", undefined],
    // A path may name a file (a `watch` entry can), as the webhook's routing reads it.
    [`${PREFIX}/apps/web`, "apps/web", "apps/web"],
    [`${PREFIX}/README.md`, ".", "README.md"],
    [`${PREFIX}/`, ".", undefined],
    [`${PREFIX}/../etc/passwd`, ".", undefined],
    ["/etc/passwd", ".", undefined],
  ])("%s under %s → %s", (entry, path, expected) => {
    // Act
    const selected = selectEntryPath(entry, { paths: [path], stripComponents: 1 });

    // Assess
    expect(selected).toBe(expected);
  });

  it("keeps paths as they are when nothing is stripped (git archive without prefix)", () => {
    // Act
    const selected = selectEntryPath("apps/web/deploy.yaml", { paths: ["apps"], stripComponents: 0 });

    // Assess
    expect(selected).toBe("apps/web/deploy.yaml");
  });

  it("keeps entries in any of a target's directories (its path and watch paths), nothing beside them", () => {
    // Prepare
    const selection = { paths: ["apps/web/overlays/prod", "apps/web/base"], stripComponents: 0 };

    // Act
    const selected = [
      "apps/web/overlays/prod/kustomization.yaml",
      "apps/web/base/cm.yaml",
      "apps/web/docs/recording.mp4",
      "apps/web/overlays/staging/kustomization.yaml",
    ].map((entry) => selectEntryPath(entry, selection));

    // Assess
    expect(selected).toEqual([
      "apps/web/overlays/prod/kustomization.yaml",
      "apps/web/base/cm.yaml",
      undefined,
      undefined,
    ]);
  });
});

describe("extractTree", () => {
  it("keeps exactly the regular files under the target path, keyed by repo-root path", async () => {
    // Prepare
    const tar = await buildTarball([
      ...githubTarballEntries(PREFIX, {
        "apps/web/deploy.yaml": "kind: Deployment\n",
        "apps/web/svc/service.yaml": "kind: Service\n",
        "apps/web2/other.yaml": "kind: ConfigMap\n",
        "README.md": "# deploy\n",
      }),
      { name: `${PREFIX}/apps/web/dir/`, type: "directory" },
    ]);

    // Act
    const tree = await extractTree(streamOf(tar), {
      paths: ["apps/web"],
      stripComponents: 1,
      limits: roomy,
      what: "t",
    });

    // Assess
    expect([...tree.keys()].sort()).toEqual(["apps/web/deploy.yaml", "apps/web/svc/service.yaml"]);
    expect(text(tree.get("apps/web/deploy.yaml"))).toBe("kind: Deployment\n");
  });

  it("records symbolic links without reading through them, and reports hard links as skipped", async () => {
    // Prepare
    const tar = await buildTarball([
      ...githubTarballEntries(PREFIX, { "apps/real.yaml": "kind: ConfigMap\n" }),
      { name: `${PREFIX}/apps/escape.yaml`, type: "symlink", linkname: "../../secrets/prod.yaml" },
      { name: `${PREFIX}/apps/hard.yaml`, type: "link", linkname: `${PREFIX}/apps/real.yaml` },
    ]);

    // Act
    const tree = await extractTree(streamOf(tar), {
      paths: ["apps"],
      stripComponents: 1,
      limits: roomy,
      what: "t",
    });

    // Assess
    expect([...tree.keys()]).toEqual(["apps/real.yaml"]);
    expect(tree.links).toEqual([{ path: "apps/escape.yaml", target: "../../secrets/prod.yaml" }]);
    expect(tree.skipped).toEqual([{ path: "apps/hard.yaml", reason: HARD_LINK_REASON }]);
  });

  it("refuses more files than maxFiles with a permanent error naming the limit", async () => {
    // Prepare
    const files = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`apps/cm-${i}.yaml`, "x"]));
    const tar = await buildTarball(githubTarballEntries(PREFIX, files));

    // Act
    const result = extractTree(streamOf(tar), {
      paths: ["apps"],
      stripComponents: 1,
      limits: { maxFiles: 3, maxBytes: 1_000 },
      what: "acme/deploy@0123456",
    });

    // Assess
    await expect(result).rejects.toThrow(SourceError);
    await expect(result).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining("maxFiles=3"),
    });
  });

  it("refuses more bytes than maxBytes, counting only files under the path", async () => {
    // Prepare
    const tar = await buildTarball(
      githubTarballEntries(PREFIX, {
        "big/outside.bin": "o".repeat(5_000),
        "apps/a.yaml": "a".repeat(600),
        "apps/b.yaml": "b".repeat(600),
      }),
    );

    // Act
    const result = extractTree(streamOf(tar), {
      paths: ["apps"],
      stripComponents: 1,
      limits: { maxFiles: 10, maxBytes: 1_000 },
      what: "acme/deploy@0123456",
    });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "SourceError",
      retryable: false,
      message: expect.stringContaining("maxBytes=1000"),
    });
  });

  it("accepts a tree exactly at its limits", async () => {
    // Prepare
    const tar = await buildTarball(
      githubTarballEntries(PREFIX, { "apps/a.yaml": "12345", "apps/b.yaml": "67890" }),
    );

    // Act
    const tree = await extractTree(streamOf(tar), {
      paths: ["apps"],
      stripComponents: 1,
      limits: { maxFiles: 2, maxBytes: 10 },
      what: "t",
    });

    // Assess
    expect(tree.size).toBe(2);
  });

  it("stops a gzip archive larger than maxArchiveBytes", async () => {
    // Prepare: random-ish content so gzip cannot shrink it below the cap.
    const noise = randomBytes(20_000).toString("base64");
    const gz = await buildTarball(githubTarballEntries(PREFIX, { "other/noise.txt": noise }), { gzip: true });
    const tar = chainStreams([streamOf(gz), limitArchiveBytes(1_000, "acme/deploy@0123456"), createGunzip()]);

    // Act
    const result = extractTree(tar, {
      paths: ["apps"],
      stripComponents: 1,
      limits: roomy,
      what: "acme/deploy@0123456",
    });

    // Assess
    await expect(result).rejects.toMatchObject({
      retryable: false,
      message: expect.stringContaining("maxArchiveBytes=1000"),
    });
  });

  it("reports a corrupt archive as an error instead of returning a partial tree", async () => {
    // Prepare
    const tar = await buildTarball(githubTarballEntries(PREFIX, { "apps/a.yaml": "a".repeat(2_000) }));
    const truncatedGzip = chainStreams([streamOf(tar.subarray(0, 1_200)), createGzip()]);

    // Act
    const result = extractTree(chainStreams([truncatedGzip, createGunzip()]), {
      paths: ["apps"],
      stripComponents: 1,
      limits: roomy,
      what: "t",
    });

    // Assess
    await expect(result).rejects.toThrow();
  });
});
