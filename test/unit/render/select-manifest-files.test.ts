import { describe, expect, it } from "vitest";
import { selectManifestFiles } from "../../../lib/manifests/select-manifest-files.ts";

const PATHS = [
  "manifests/00-namespace.yaml",
  "manifests/deploy.yaml",
  "manifests/crds.json",
  "manifests/setup/crd-a.yaml",
  "manifests/setup/crd-b.yaml",
  "manifests/examples/sample.yaml",
];

describe("selectManifestFiles with a plain target's selection", () => {
  it("recursive: false keeps only the files directly in the path (manifests/ vs manifests/setup/)", () => {
    // Act
    const files = selectManifestFiles(PATHS, "manifests", { recursive: false });

    // Assess
    expect(files).toEqual(["manifests/00-namespace.yaml", "manifests/crds.json", "manifests/deploy.yaml"]);
  });

  it("include globs are relative to the target path", () => {
    // Act
    const files = selectManifestFiles(PATHS, "manifests", { include: ["setup/*.yaml", "*.json"] });

    // Assess
    expect(files).toEqual([
      "manifests/crds.json",
      "manifests/setup/crd-a.yaml",
      "manifests/setup/crd-b.yaml",
    ]);
  });

  it("exclude globs drop matches, after include", () => {
    // Act
    const files = selectManifestFiles(PATHS, "manifests", { exclude: ["examples/**", "**/crd-b.yaml"] });

    // Assess
    expect(files).toEqual([
      "manifests/00-namespace.yaml",
      "manifests/crds.json",
      "manifests/deploy.yaml",
      "manifests/setup/crd-a.yaml",
    ]);
  });

  it("without a selection every manifest below the path is kept", () => {
    // Act / Assess
    expect(selectManifestFiles(PATHS, "manifests")).toHaveLength(6);
  });
});
