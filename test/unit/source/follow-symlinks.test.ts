import { describe, expect, it } from "vitest";
import { ManifestSetError, SourceError } from "../../../lib/errors.ts";
import { followSymlinks } from "../../../lib/source/follow-symlinks.ts";
import type { SourceTree, SymbolicLink } from "../../../lib/source/git-source.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

function treeOf(files: Record<string, string>, links: SymbolicLink[]): SourceTree {
  const map = new Map(Object.entries(files).map(([path, text]) => [path, encode(text)]));
  return Object.assign(map, { links });
}

function refusals(attempt: () => unknown): string[] {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestSetError);
    return (error as ManifestSetError).errors.map((e) => e.message);
  }
  throw new Error("expected a refusal");
}

describe("followSymlinks", () => {
  it("puts a linked file's content at the link's path, as the stock tools read it", () => {
    // Prepare
    const tree = treeOf(
      { "charts/web/shared/svc.yaml": "kind: Service\n", "charts/web/Chart.yaml": "name: web\n" },
      [{ path: "charts/web/templates/svc.yaml", target: "../shared/svc.yaml" }],
    );

    // Act
    const followed = followSymlinks(tree, { dirs: ["charts/web"] });

    // Assess
    expect(decode(followed.get("charts/web/templates/svc.yaml"))).toBe("kind: Service\n");
    expect(followed.links).toBeUndefined();
    expect(followed.followed).toEqual([
      { path: "charts/web/templates/svc.yaml", target: "charts/web/shared/svc.yaml" },
    ]);
    expect(followed.size).toBe(3);
  });

  it("a link to a directory stands for every file below it, links below it included", () => {
    // Prepare
    const tree = treeOf(
      {
        "common/lib/Chart.yaml": "name: lib\n",
        "common/lib/templates/cm.yaml": "kind: ConfigMap\n",
        "common/lib/values.yaml": "x: 1\n",
      },
      [
        { path: "charts/web/charts/lib", target: "../../../common/lib" },
        { path: "common/lib/templates/values-copy.yaml", target: "../values.yaml" },
      ],
    );

    // Act
    const followed = followSymlinks(tree, { dirs: ["charts/web", "common"] });

    // Assess
    expect(decode(followed.get("charts/web/charts/lib/templates/cm.yaml"))).toBe("kind: ConfigMap\n");
    expect(decode(followed.get("charts/web/charts/lib/Chart.yaml"))).toBe("name: lib\n");
    expect(decode(followed.get("charts/web/charts/lib/templates/values-copy.yaml"))).toBe("x: 1\n");
    expect(decode(followed.get("common/lib/templates/values-copy.yaml"))).toBe("x: 1\n");
  });

  it("`..` after a link to a directory leaves the link's target, as the kernel resolves it", () => {
    // Prepare: deploy/cur → releases/v2; deploy/app.yaml → cur/../v1/app.yaml is releases/v1/app.yaml.
    const tree = treeOf(
      { "deploy/releases/v1/app.yaml": "v: 1\n", "deploy/releases/v2/app.yaml": "v: 2\n" },
      [
        { path: "deploy/cur", target: "releases/v2" },
        { path: "deploy/app.yaml", target: "cur/../v1/app.yaml" },
      ],
    );

    // Act
    const followed = followSymlinks(tree, { dirs: ["deploy"] });

    // Assess
    expect(decode(followed.get("deploy/app.yaml"))).toBe("v: 1\n");
    expect(followed.followed).toEqual([
      { path: "deploy/cur", target: "deploy/releases/v2" },
      { path: "deploy/app.yaml", target: "deploy/releases/v1/app.yaml" },
    ]);
  });

  it("refuses, naming each link, every link it must not or cannot follow", () => {
    // Prepare
    const tree = treeOf({ "deploy/a.yaml": "kind: A\n" }, [
      { path: "deploy/abs.yaml", target: "/etc/hostname" },
      { path: "deploy/escape.yaml", target: "../../../etc/hostname" },
      { path: "deploy/other.yaml", target: "../shared/db.yaml" },
      { path: "deploy/gone.yaml", target: "missing.yaml" },
      { path: "deploy/loop-a.yaml", target: "loop-b.yaml" },
      { path: "deploy/loop-b.yaml", target: "loop-a.yaml" },
      { path: "deploy/self", target: "." },
      { path: "deploy/via.yaml", target: "abs-dir/x.yaml" },
      { path: "deploy/abs-dir", target: "/etc" },
    ]);

    // Act
    const messages = refusals(() => followSymlinks(tree, { dirs: ["deploy"] }));

    // Assess
    expect(messages).toEqual([
      "deploy/abs-dir: symbolic link to /etc points to an absolute path (/etc), which is never followed",
      "deploy/abs.yaml: symbolic link to /etc/hostname points to an absolute path (/etc/hostname), which is never followed",
      "deploy/escape.yaml: symbolic link to ../../../etc/hostname points outside the repository (../../../etc/hostname), which is never followed",
      "deploy/gone.yaml: symbolic link to missing.yaml points to deploy/missing.yaml, which does not exist at this commit",
      "deploy/loop-a.yaml: symbolic link to loop-b.yaml is part of a symbolic link loop",
      "deploy/loop-b.yaml: symbolic link to loop-a.yaml is part of a symbolic link loop",
      "deploy/other.yaml: symbolic link to ../shared/db.yaml points to shared/db.yaml, outside the target's path and watch paths (deploy), which are all that is fetched: add shared to the target's `watch`, or replace the link with the file",
      "deploy/self: symbolic link to . points to deploy, a directory that contains the link (a loop)",
      "deploy/via.yaml: symbolic link to abs-dir/x.yaml leads to an absolute path (/etc), which is never followed",
    ]);
  });

  it("keeps the files the source skipped and returns a tree without links as it is", () => {
    // Prepare
    const skipped = [{ path: "deploy/hard.yaml", reason: "hard link" }];
    const plain: SourceTree = Object.assign(new Map([["deploy/a.yaml", encode("a")]]), { skipped });
    const linked: SourceTree = Object.assign(
      treeOf({ "deploy/a.yaml": "a" }, [{ path: "deploy/b.yaml", target: "a.yaml" }]),
      {
        skipped,
      },
    );

    // Act
    const same = followSymlinks(plain, { dirs: ["deploy"] });
    const followed = followSymlinks(linked, { dirs: ["deploy"] });

    // Assess
    expect(same).toBe(plain);
    expect(followed.skipped).toEqual(skipped);
    expect([...followed.keys()].sort()).toEqual(["deploy/a.yaml", "deploy/b.yaml"]);
  });

  it("links to directories count toward the source limits", () => {
    // Prepare: three links to a directory of two files make 2 + 6 files.
    const tree = treeOf({ "deploy/base/a.yaml": "a", "deploy/base/b.yaml": "b" }, [
      { path: "deploy/x", target: "base" },
      { path: "deploy/y", target: "base" },
      { path: "deploy/z", target: "base" },
    ]);

    // Act
    const attempt = () =>
      followSymlinks(tree, { dirs: ["deploy"], limits: { maxFiles: 7, maxBytes: 1_000 } });

    // Assess
    expect(attempt).toThrow(SourceError);
    expect(attempt).toThrow(/more than 7 files/);
    expect(followSymlinks(tree, { dirs: ["deploy"], limits: { maxFiles: 8, maxBytes: 1_000 } }).size).toBe(8);
  });
});
