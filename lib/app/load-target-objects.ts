/**
 * The source and render phases of a job: fetch the target's directories at one commit (its
 * path and its `watch` paths, in one archive read), render them when the target is a Kustomize
 * overlay or a Helm chart (with the cluster's version and API list for `.Capabilities`), and
 * validate the result. Used by sync, drift and preview jobs alike.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { RenderError } from "../errors.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import { skippedFiles } from "../manifests/select-manifest-files.ts";
import { chooseRenderEngine } from "../render/choose-render-engine.ts";
import { type RenderCapabilities, type RenderedDesired, renderDesired } from "../render/render-desired.ts";
import type { Renderer } from "../render/renderer-port.ts";
import {
  commonDirectory,
  keepDirectories,
  sourcePathsOf,
  touchesTarget,
} from "../render/target-source-paths.ts";
import type { GitSource, SkippedFile, SourceLimits, SourceTree } from "../source/git-source.ts";
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
): Promise<RenderedDesired & { files: SourceTree }> {
  const dirs = sourcePathsOf(target);
  const fetched = await deps.source.fetchTree({
    repo: target.repo,
    sha,
    path: commonDirectory(dirs),
    limits: deps.sourceLimits,
  });
  const files = dirs.length > 1 ? keepDirectories(fetched, dirs) : fetched;
  const engine = chooseRenderEngine(target.render, files.keys(), target.path);
  const capabilities =
    engine === "helm" ? await capabilitiesOf(await deps.cluster(), deps.signal) : undefined;
  try {
    const rendered = await renderDesired(
      { renderer: deps.renderer },
      { files, target, capabilities, signal: deps.signal },
    );
    return { ...rendered, files };
  } catch (error) {
    throw withWatchHint(error, target);
  }
}

/**
 * A job's objects at `sha` (with the render notes and, for plain targets, the files it skipped),
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
  // A rendered directory holds patches, values and templates by design: only plain targets report skipped files.
  const skipped = loaded.engine === "plain" ? skippedFiles(loaded.files, target.path) : [];
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

/**
 * A base outside the fetched directories reads as "doesn't exist" to Kustomize; say why and
 * what to change, since the file may well be in the repository.
 */
function withWatchHint(error: unknown, target: Target): unknown {
  if (!(error instanceof RenderError) || error.code !== "render") return error;
  const missing = [...error.message.matchAll(/'([^']+)' doesn't exist/g)].map((m) => m[1] ?? "");
  const outside = missing.find((path) => path !== "" && !touchesTarget(target, path));
  if (outside === undefined) return error;
  return new RenderError(
    "render",
    `${error.message} — ${outside} is outside the target's path and watch paths (${sourcePathsOf(target).join(", ")}), so it was not fetched: add its directory to the target's \`watch\``,
    { file: error.file, cause: error },
  );
}
