/**
 * Loading a target's desired set, the one way every entry point does it: fetch the target's
 * directories (its path and its `watch` paths, in one read), select the engine (plain, Kustomize,
 * Helm), render with the reference tool when needed (with the cluster's version and API list as
 * `.Capabilities`), and load and validate the objects. The worker's sync, drift and preview jobs
 * (and so local mode, which runs the worker) read a commit through here; the CLI reads a checkout
 * on disk through here.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { RenderError } from "../errors.ts";
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
import type { SkippedFile, SourceTree } from "../source/git-source.ts";
import type { JobContext } from "./worker-deps.ts";

export type DesiredSetDeps = {
  /**
   * Reads the files under one repository directory (`.` for the root), keyed by repo-relative
   * path: a commit's archive in the worker, a checkout on disk in the CLI.
   */
  readTree: (path: string) => Promise<SourceTree>;
  /** Renders Kustomize and Helm targets; plain targets need none. */
  renderer?: Renderer | undefined;
  /** `.Capabilities`, asked only for a Helm target: the cluster's discovery, or the CLI's `--kube-version`. */
  capabilities: () => Promise<RenderCapabilities>;
  signal?: AbortSignal | undefined;
};

export type DesiredSet = RenderedDesired & {
  /** Files under a plain target's path that were not loaded, and why (reported, never silent). */
  skipped: SkippedFile[];
};

/** Fetches, selects, renders and loads the target's objects; throws SourceError, RenderError or ManifestSetError. */
export async function loadDesiredSet(deps: DesiredSetDeps, target: Target): Promise<DesiredSet> {
  const dirs = sourcePathsOf(target);
  const fetched = await deps.readTree(commonDirectory(dirs));
  const files = dirs.length > 1 ? keepDirectories(fetched, dirs) : fetched;
  const engine = chooseRenderEngine(target.render, files.keys(), target.path);
  const capabilities = engine === "helm" ? await deps.capabilities() : undefined;
  try {
    const rendered = await renderDesired(
      { renderer: deps.renderer },
      { files, target, capabilities, signal: deps.signal },
    );
    // A rendered directory holds patches, values and templates by design: only plain targets report skipped files.
    const skipped = rendered.engine === "plain" ? skippedFiles(files, target.path) : [];
    return { ...rendered, skipped };
  } catch (error) {
    throw withWatchHint(error, target, files);
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
): Promise<Pick<DesiredSet, "desired" | "notes" | "skipped"> & { connect: () => Promise<ClusterPort> }> {
  const { deps, target, github } = context;
  let connected: Promise<ClusterPort> | undefined;
  const connect = () => {
    connected ??= deps.connectCluster(target, purpose);
    return connected;
  };
  const { desired, notes, skipped } = await loadDesiredSet(
    {
      readTree: (path) =>
        github.source.fetchTree({ repo: target.repo, sha, path, limits: deps.sourceLimits }),
      renderer: deps.renderer,
      capabilities: async () => await capabilitiesOf(await connect(), deps.signal),
      signal: deps.signal,
    },
    target,
  );
  return { desired, notes, skipped, connect };
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
 * what to change, since the file may well be in the repository. Only when the tree was narrowed
 * to the target's directories (as the worker fetches it): a whole checkout that lacks the base
 * really lacks it.
 */
function withWatchHint(error: unknown, target: Target, files: SourceTree): unknown {
  if (!(error instanceof RenderError) || error.code !== "render") return error;
  if ([...files.keys()].some((path) => !touchesTarget(target, path))) return error;
  const missing = [...error.message.matchAll(/'([^']+)' doesn't exist/g)].map((m) => m[1] ?? "");
  const outside = missing.find((path) => path !== "" && !touchesTarget(target, path));
  if (outside === undefined) return error;
  return new RenderError(
    "render",
    `${error.message} — ${outside} is outside the target's path and watch paths (${sourcePathsOf(target).join(", ")}), so it was not fetched: add its directory to the target's \`watch\``,
    { file: error.file, cause: error },
  );
}
