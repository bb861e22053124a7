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
import type { SourceTree } from "../source/git-source.ts";
import { chooseRenderEngine } from "./choose-render-engine.ts";
import { loadRenderedObjects } from "./load-rendered-objects.ts";
import type { RenderEngine, Renderer, RenderOutput } from "./renderer-port.ts";

/** The cluster facts a Helm chart sees as `.Capabilities` (from discovery). */
export type RenderCapabilities = { kubeVersion?: string | undefined; apiVersions: readonly string[] };

export type RenderDesiredInput = {
  files: SourceTree;
  target: Pick<
    Target,
    "name" | "path" | "namespace" | "policy" | "render" | "helm" | "include" | "exclude" | "recursive"
  >;
  capabilities?: RenderCapabilities | undefined;
  /** Helm install or upgrade (`.Release.IsUpgrade`); install unless told. */
  release?: ReleaseMode | undefined;
  signal?: AbortSignal | undefined;
};

export type RenderedDesired = {
  desired: DesiredObject[];
  engine: RenderEngine | "plain";
  /** What rendered it (`kustomize v5.8.2/api-v0.21.2`), for reports; absent for plain targets. */
  renderer?: string | undefined;
  notes: readonly string[];
  /** Files the render read (plain targets: undefined, the target path is the closure). */
  inputs?: readonly string[] | undefined;
  /** The renderer's own output (for `pullbridge render`), absent for plain targets. */
  output?: RenderOutput | undefined;
};

/** Renders (when needed) and validates a target's objects; throws RenderError or ManifestSetError. */
export async function renderDesired(
  deps: { renderer?: Renderer | undefined },
  input: RenderDesiredInput,
): Promise<RenderedDesired> {
  const { files, target } = input;
  const policy = manifestPolicyOf(target);
  const engine = chooseRenderEngine(target.render, files.keys(), target.path);
  if (engine === "plain") {
    const selection = { include: target.include, exclude: target.exclude, recursive: target.recursive };
    return {
      desired: loadManifests({ files, targetPath: target.path, policy, selection }),
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
  const output = await deps.renderer.render({
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
  });
  // Hooks are objects of the commit too; the lifecycle plan (lib/lifecycle) runs them as hooks.
  const desired = loadRenderedObjects({ objects: [...output.objects, ...output.hooks], files, policy });
  return { desired, engine, renderer: output.renderer, notes: output.notes, inputs: output.inputs, output };
}
