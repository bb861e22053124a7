import { describe, expect, it } from "vitest";
import { planImageJob } from "../../../lib/app/run-image-job.ts";
import type { RepoFile } from "../../../lib/images/image-repo.ts";
import { ECR_WEB, imageJob, imageTarget, markedDeployment } from "../../factories/images.ts";

const repoFiles = (entries: Record<string, string>): Map<string, RepoFile> =>
  new Map(Object.entries(entries).map(([path, text]) => [path, { path, text, mode: "100644" }]));

/** An overlay whose image lives in its base: `apps/web/base` is in the target's `watch`. */
const overlay = imageTarget({ path: "apps/web/overlays/prod", watch: ["apps/web/base"] });
const overlayKustomization = "resources: [../../base]\n";

describe("planImageJob: markers in a target's watch paths", () => {
  it("are not edited, and each one the image would change is reported with its reason", () => {
    // Prepare
    const files = repoFiles({
      "apps/web/overlays/prod/kustomization.yaml": overlayKustomization,
      "apps/web/base/deployment.yaml": markedDeployment(),
    });

    // Act
    const planned = planImageJob(imageJob("1.4.2"), [overlay], files);

    // Assess: was "nothing to change" with no reason at all.
    expect(planned.files).toEqual([]);
    expect(planned.ignored).toEqual([
      {
        file: "apps/web/base/deployment.yaml",
        line: 16,
        code: "outside-target-path",
        reason: `apps/web/base/deployment.yaml:16: ${ECR_WEB}:1.4.1 → ${ECR_WEB}:1.4.2 not written: the file is in a watch path of target web-prod, not under its path apps/web/overlays/prod, and a watch path (a shared base) may be built by other targets too; set the image in the target's own files (e.g. its kustomization.yaml \`images:\`)`,
      },
    ]);
  });

  it("a base that is another job target's own path is that target's to edit, and not reported", () => {
    const base = imageTarget({ name: "web-base", path: "apps/web/base" });
    const files = repoFiles({
      "apps/web/overlays/prod/kustomization.yaml": overlayKustomization,
      "apps/web/base/deployment.yaml": markedDeployment(),
    });

    const planned = planImageJob(
      imageJob("1.4.2", { targets: ["web-prod", "web-base"] }),
      [overlay, base],
      files,
    );

    expect(planned.ignored).toEqual([]);
    expect(planned.changes.map((c) => [c.target, c.file])).toEqual([
      ["web-base", "apps/web/base/deployment.yaml"],
    ]);
  });

  it("a marker in a watch path the image would not change (older tag) is not reported", () => {
    const files = repoFiles({ "apps/web/base/deployment.yaml": markedDeployment() });
    expect(planImageJob(imageJob("1.4.0"), [overlay], files)).toEqual({
      changes: [],
      ignored: [],
      files: [],
    });
  });
});
