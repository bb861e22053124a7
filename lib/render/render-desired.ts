/**
 * The render phase: a target's tree at one commit → its desired objects. Plain targets are
 * loaded as written (with include/exclude/recursive); Kustomize and Helm targets go through the
 * renderer port. Either way the result is validated against the target's policy and every
 * object keeps the repository file it came from.
 */
import type { Target } from "../config/targets.ts";
import { RenderError } from "../errors.ts";
import type { ReleaseMode } from "../lifecycle/lifecycle-annotations.ts";
import { manifestPolicyOf } from "../manifests/check-policy.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import { loadManifests } from "../manifests/load-manifests.ts";
import { followSymlinks } from "../source/follow-symlinks.ts";
import type { SourceLimits, SourceTree } from "../source/git-source.ts";
import { chooseRenderEngine } from "./choose-render-engine.ts";
import { loadRenderedObjects } from "./load-rendered-objects.ts";
import type { ProbeResult, RenderEngine, Renderer, RenderOutput } from "./renderer-port.ts";
import { sourcePathsOf, touchesTarget } from "./target-source-paths.ts";

/** The cluster facts a Helm chart sees as `.Capabilities` (from discovery). */
export type RenderCapabilities = { kubeVersion?: string | undefined; apiVersions: readonly string[] };

type RenderedTarget = Pick<
  Target,
  "name" | "path" | "namespace" | "policy" | "render" | "helm" | "include" | "exclude" | "recursive"
> & { watch?: readonly string[] | undefined };

export type RenderDesiredInput = {
  /** The target's files (its path and watch paths); symbolic links among them are followed here. */
  files: SourceTree;
  target: RenderedTarget;
  capabilities?: RenderCapabilities | undefined;
  /** Helm install or upgrade (`.Release.IsUpgrade`); install unless told. */
  release?: ReleaseMode | undefined;
  signal?: AbortSignal | undefined;
  /** Bounds the tree once its links are followed (the source's own limits; defaults otherwise). */
  sourceLimits?: SourceLimits | undefined;
};

export type RenderedDesired = {
  desired: DesiredObject[];
  /** The files the objects were read from: the input with its symbolic links followed. */
  files: SourceTree;
  engine: RenderEngine | "plain";
  /** What rendered it (`kustomize v5.8.2/api-v0.21.2`), for reports; absent for plain targets. */
  renderer?: string | undefined;
  notes: readonly string[];
  /** Files the render read (plain targets: undefined, the target path is the closure). */
  inputs?: readonly string[] | undefined;
  /** Directories the render listed and paths whose existence it checked (derived routing). */
  listed?: readonly string[] | undefined;
  probed?: Readonly<Record<string, ProbeResult>> | undefined;
  /** The renderer's own output (for `pullbridge render`), absent for plain targets. */
  output?: RenderOutput | undefined;
};

/**
 * Renders (when needed) and validates a target's objects; throws RenderError or ManifestSetError
 * (a symbolic link that cannot be followed is one: see follow-symlinks.ts).
 */
export async function renderDesired(
  deps: { renderer?: Renderer | undefined },
  input: RenderDesiredInput,
): Promise<RenderedDesired> {
  const { target } = input;
  const files = followSymlinks(input.files, { dirs: sourcePathsOf(target), limits: input.sourceLimits });
  const policy = manifestPolicyOf(target);
  const engine = chooseRenderEngine(target.render, files.keys(), target.path);
  if (engine === "plain") {
    const selection = { include: target.include, exclude: target.exclude, recursive: target.recursive };
    return {
      desired: loadManifests({ files, targetPath: target.path, policy, selection }),
      files,
      engine,
      notes: [],
    };
  }
  if (!deps.renderer) {
    throw new RenderError(
      "crash",
      `target ${target.name} needs ${engine} rendering but no renderer is configured`,
      {
        file: target.path,
      },
    );
  }
  const output = await deps.renderer
    .render({
      files,
      path: target.path,
      engine,
      signal: input.signal,
      helm:
        engine === "helm"
          ? {
              releaseName: target.helm?.releaseName ?? target.name,
              namespace: target.helm?.namespace ?? target.namespace,
              valuesFiles: target.helm?.valuesFiles ?? [],
              values: target.helm?.values ?? {},
              kubeVersion: input.capabilities?.kubeVersion,
              apiVersions: input.capabilities?.apiVersions ?? [],
              isUpgrade: input.release === "upgrade",
            }
          : undefined,
    })
    .catch((error: unknown) => {
      throw withWatchHint(error, target);
    });
  // Hooks are objects of the commit too; the lifecycle plan (lib/lifecycle) runs them as hooks.
  const desired = loadRenderedObjects({
    objects: [...output.objects, ...output.hooks],
    files,
    policy,
    engine,
  });
  return {
    desired,
    files,
    engine,
    renderer: output.renderer,
    notes: output.notes,
    inputs: output.inputs,
    listed: output.listed,
    probed: output.probed,
    output,
  };
}

/**
 * A file outside the fetched directories reads as missing to Kustomize and Helm; say why and
 * what to change, since the file may well be in the repository: only the target's path and
 * watch paths are fetched.
 */
function withWatchHint(error: unknown, target: RenderedTarget): unknown {
  if (!(error instanceof RenderError) || error.code !== "render") return error;
  // A file the renderer names that lies outside the fetched directories was not fetched: it is what is missing.
  const missing = [
    ...[...error.message.matchAll(/'([^']+)' doesn't exist/g)].map((m) => m[1] ?? ""),
    error.file ?? "",
  ];
  const outside = missing.find((path) => path !== "" && !touchesTarget(target, path));
  if (outside === undefined) return error;
  return new RenderError(
    "render",
    `${error.message} — ${outside} is outside the target's path and watch paths (${sourcePathsOf(target).join(", ")}), so it was not fetched: add its directory to the target's \`watch\``,
    { file: error.file, cause: error },
  );
}
