/**
 * The source and render phases of a job: fetch the target's directories at one commit (its
 * path and its `watch` paths, in one archive read), render them when the target is a Kustomize
 * overlay or a Helm chart (with the cluster's version and API list for `.Capabilities`), and
 * validate the result. Used by sync, drift and preview jobs alike.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import { skippedFiles } from "../manifests/select-manifest-files.ts";
import { chooseRenderEngine } from "../render/choose-render-engine.ts";
import { type RenderCapabilities, type RenderedDesired, renderDesired } from "../render/render-desired.ts";
import type { Renderer } from "../render/renderer-port.ts";
import { commonDirectory, keepDirectories, sourcePathsOf } from "../render/target-source-paths.ts";
import { followSymlinks } from "../source/follow-symlinks.ts";
import type { GitSource, SkippedFile, SourceLimits } from "../source/git-source.ts";
import type { JobContext } from "./worker-deps.ts";

export type LoadTargetDeps = {
  source: Pick<GitSource, "fetchTree">;
  sourceLimits: SourceLimits;
  renderer?: Renderer | undefined;
  /** Connects lazily: only Helm targets need the cluster before planning. */
  cluster: () => Promise<ClusterPort>;
  signal?: AbortSignal | undefined;
};

/** Fetches, renders and validates the target's objects at `sha`; throws SourceError, RenderError or ManifestSetError. */
async function loadTargetObjects(
  deps: LoadTargetDeps,
  target: Target,
  sha: string,
): Promise<RenderedDesired> {
  const dirs = sourcePathsOf(target);
  const fetched = await deps.source.fetchTree({
    repo: target.repo,
    sha,
    path: commonDirectory(dirs),
    limits: deps.sourceLimits,
  });
  // Links are followed before the engine is chosen: a symlinked Chart.yaml makes a chart.
  const files = followSymlinks(dirs.length > 1 ? keepDirectories(fetched, dirs) : fetched, {
    dirs,
    limits: deps.sourceLimits,
  });
  const engine = chooseRenderEngine(target.render, files.keys(), target.path);
  const capabilities =
    engine === "helm" ? await capabilitiesOf(await deps.cluster(), deps.signal) : undefined;
  return await renderDesired(
    { renderer: deps.renderer },
    { files, target, capabilities, signal: deps.signal, sourceLimits: deps.sourceLimits },
  );
}

/**
 * A job's objects at `sha` (with the render notes and the files it skipped),
 * and its cluster connection made at most once: before rendering for a Helm target
 * (`.Capabilities`), else when the caller plans. The fetched tree and the renderer's output are
 * not returned: the sync that follows holds only the desired objects.
 */
export async function loadJobObjects(
  context: JobContext,
  purpose: "sync" | "preview",
  sha: string,
): Promise<{
  desired: DesiredObject[];
  notes: readonly string[];
  skipped: SkippedFile[];
  connect: () => Promise<ClusterPort>;
}> {
  const { deps, target, github } = context;
  let connected: Promise<ClusterPort> | undefined;
  const connect = () => {
    connected ??= deps.connectCluster(target, purpose);
    return connected;
  };
  const loaded = await loadTargetObjects(
    {
      source: github.source,
      sourceLimits: deps.sourceLimits,
      renderer: deps.renderer,
      cluster: connect,
      signal: deps.signal,
    },
    target,
    sha,
  );
  // A rendered directory holds patches, values and templates by design: files that are not
  // manifests are skipped (and listed) only in plain targets; what the source left out, in all.
  const skipped =
    loaded.engine === "plain" ? skippedFiles(loaded.files, target.path) : [...(loaded.files.skipped ?? [])];
  return { desired: loaded.desired, notes: loaded.notes, skipped, connect };
}

/** `.Capabilities` from the cluster: its version and every served group/version(/Kind). */
export async function capabilitiesOf(
  cluster: ClusterPort,
  signal?: AbortSignal | undefined,
): Promise<RenderCapabilities> {
  const [discovery, kubeVersion] = await Promise.all([
    cluster.discover({ signal }),
    cluster.serverVersion ? cluster.serverVersion({ signal }) : Promise.resolve(undefined),
  ]);
  return { kubeVersion: kubeVersion || undefined, apiVersions: discovery.apiVersions ?? [] };
}
