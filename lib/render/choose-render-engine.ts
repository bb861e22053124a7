/**
 * Which renderer a target uses: its `render` setting, or under `auto` what its directory holds.
 */
import type { Target } from "../config/targets.ts";
import { normaliseTargetPath } from "../manifests/select-manifest-files.ts";
import type { RenderEngine } from "./renderer-port.ts";

/** The file names `kustomize build` recognises, in its own order. */
export const KUSTOMIZATION_FILE_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

/**
 * `kustomize` when the target directory has a kustomization file, `helm` when it has a
 * Chart.yaml, `plain` otherwise (a directory with both is a Kustomize target: Kustomize is the
 * layer users put on top of a chart's output).
 */
export function chooseRenderEngine(
  setting: Target["render"],
  paths: Iterable<string>,
  targetPath: string,
): RenderEngine | "plain" {
  if (setting !== "auto") return setting;
  const dir = normaliseTargetPath(targetPath);
  const prefix = dir === "." ? "" : `${dir}/`;
  const present = new Set<string>();
  for (const path of paths) if (path.startsWith(prefix)) present.add(path.slice(prefix.length));
  if (KUSTOMIZATION_FILE_NAMES.some((name) => present.has(name))) return "kustomize";
  if (present.has("Chart.yaml")) return "helm";
  return "plain";
}
