/**
 * The source and render phases of every entry point — sync, drift and preview jobs, and the CLI:
 * read the target's directories (its path and its `watch` paths, through the caller's tree
 * reader: a commit's archive in the worker, a checkout on disk in the CLI, both selecting and
 * limiting alike), render them when the target is a Kustomize overlay or a Helm chart (with the
 * cluster's version and API list for `.Capabilities`), validate the result, and refuse a target
 * that holds nothing unless it says it may be empty.
 */
import type { ClusterPort } from "../cluster/cluster-port.ts";
import { readersOf, settingsUnusedBy, type Target } from "../config/targets.ts";
import { ConfigError, RenderError, SyncRefusedError } from "../errors.ts";
import { isPathWithin } from "../is-path-within.ts";
import type { ReleaseMode } from "../lifecycle/lifecycle-annotations.ts";
import { kustomizationReferences } from "../manifests/kustomization-references.ts";
import { selectManifestFiles, skippedFiles } from "../manifests/select-manifest-files.ts";
import { chooseRenderEngine } from "../render/choose-render-engine.ts";
import { type RenderCapabilities, type RenderedDesired, renderDesired } from "../render/render-desired.ts";
import type { RenderEngine, Renderer } from "../render/renderer-port.ts";
import { sourcePathsOf, touchesTarget } from "../render/target-source-paths.ts";
import { createKeyRing, type KmsDataKeys } from "../secrets/key-ring.ts";
import { openSopsFiles, type SopsAccess } from "../secrets/open-sops-files.ts";
import { openSopsObjects } from "../secrets/open-sops-objects.ts";
import { followSymlinks } from "../source/follow-symlinks.ts";
import type { SkippedFile, SourceLimits, SourceTree } from "../source/git-source.ts";
import { releaseModeFor, releaseModeReader } from "./release-mode.ts";
import type { JobContext } from "./worker-deps.ts";

/** Reads the regular files inside `paths` (repository-relative directories), with the source's limits. */
export type TreeReader = (paths: readonly string[]) => Promise<SourceTree>;

export type LoadTargetDeps = {
  readTree: TreeReader;
  renderer?: Renderer | undefined;
  /** `.Capabilities` for a Helm chart: asked only when the target renders with Helm. */
  capabilities: () => Promise<RenderCapabilities | undefined>;
  /** Helm install or upgrade (`.Release.IsUpgrade`): asked only when the target renders with Helm; install without it. */
  release?: (() => Promise<ReleaseMode>) | undefined;
  signal?: AbortSignal | undefined;
  /** The source's limits, which followed symbolic links must stay within too (default: the worker's). */
  sourceLimits?: SourceLimits | undefined;
  /**
   * How SOPS-encrypted files are treated: decrypted with the target's keys (sync, drift, CLI) or
   * sealed with placeholders (previews). Without it, a tree holding an encrypted file is refused.
   */
  secrets?: SopsAccess | undefined;
};

export type LoadedTarget = RenderedDesired & {
  /** Files under the target path that were not read (plain targets; a rendered directory holds other files by design). */
  skipped: SkippedFile[];
  /** Directories read beyond `path ∪ watch` because the target's kustomizations refer to them (`discoverWatch` only). */
  discoveredWatch: string[];
  /**
   * Encrypted files whose plaintext the renderer read (generator inputs, Helm values): the render
   * holds decrypted values, so it must never be cached or printed.
   */
  decryptedInputs: string[];
  /** Whether the tree held SOPS-encrypted files (decrypted or sealed): such a render is never cached. */
  encrypted: boolean;
};

/** Enough rounds for any real chain of bases (overlay → base → component → …); each round adds at least one directory. */
const MAX_DISCOVERY_ROUNDS = 16;

/**
 * The target's files. With `discoverWatch` (the CLI given an overlay without a targets file,
 * which knows no `watch`), the directories its kustomizations refer to are read too, as if
 * they were its `watch` paths — through the same reader, selection and limits.
 */
async function readTargetTree(
  readTree: TreeReader,
  target: Target,
  discoverWatch: boolean,
): Promise<{ files: SourceTree; watch: string[] }> {
  const watch: string[] = [];
  const selection = () => sourcePathsOf({ path: target.path, watch: [...target.watch, ...watch] });
  let files = await readTree(selection());
  for (let round = 0; discoverWatch && round < MAX_DISCOVERY_ROUNDS; round += 1) {
    if (chooseRenderEngine(target.render, files.keys(), target.path) !== "kustomize") break;
    const more = kustomizationReferences(files, selection());
    if (more.length === 0) break;
    watch.push(...more);
    files = await readTree(selection());
  }
  return { files, watch };
}

/** Reads, renders and validates a target's objects; throws SourceError, ConfigError, RenderError, ManifestSetError or SyncRefusedError. */
export async function loadTargetObjects(
  deps: LoadTargetDeps,
  target: Target,
  options: { discoverWatch?: boolean } = {},
): Promise<LoadedTarget> {
  const read = await readTargetTree(deps.readTree, target, options.discoverWatch === true);
  const { watch } = read;
  // Links are followed before the engine is chosen: a symlinked Chart.yaml makes a chart.
  const files = followSymlinks(read.files, {
    dirs: sourcePathsOf({ path: target.path, watch: [...target.watch, ...watch] }),
    limits: deps.sourceLimits,
  });
  const engine = chooseRenderEngine(target.render, files.keys(), target.path);
  refuseUnusedSettings(target, engine);
  // Verify, then decrypt: every encrypted file's MAC is checked as committed, before the render.
  const sops = await openSopsFiles(files, {
    access: deps.secrets,
    target: target.name,
    renders: engine !== "plain",
    signal: deps.signal,
  });
  const capabilities = engine === "helm" ? await deps.capabilities() : undefined;
  const release = engine === "helm" && deps.release ? await deps.release() : undefined;
  let rendered: RenderedDesired;
  try {
    rendered = await renderDesired(
      { renderer: deps.renderer },
      {
        files: sops.files,
        target,
        capabilities,
        release,
        signal: deps.signal,
        sourceLimits: deps.sourceLimits,
      },
    );
  } catch (error) {
    throw withWatchHint(error, { ...target, watch: [...target.watch, ...watch] });
  }
  rendered = { ...rendered, desired: openSopsObjects(rendered.desired, sops, deps.secrets) };
  // A rendered directory holds patches, values and templates by design: files that are not
  // manifests are skipped (and listed) only in plain targets; what the source left out, in all.
  const skipped = engine === "plain" ? skippedFiles(files, target.path) : [...(files.skipped ?? [])];
  if (rendered.desired.length === 0 && !target.allowEmpty) {
    throw emptyTargetError(target, { engine, files, skipped });
  }
  const discoveredWatch = watch.filter((dir) => [...files.keys()].some((file) => isPathWithin(dir, file)));
  return {
    ...rendered,
    skipped,
    discoveredWatch,
    decryptedInputs: sops.decryptedInputs,
    encrypted: sops.opened.length > 0,
  };
}

/**
 * A job's objects at `sha` (with the render notes and the files it skipped), the Helm release
 * mode they were rendered with (install until the target synced once; `options.release` fixes it,
 * as a multi-step run does for all its steps), and its cluster connection made at most once:
 * before rendering for a Helm target (`.Capabilities`), else when the caller plans. The fetched
 * tree and the renderer's output are not returned: the sync that follows holds only the desired objects.
 */
export async function loadJobObjects(
  context: JobContext,
  purpose: "sync" | "preview",
  sha: string,
  options: { release?: (() => Promise<ReleaseMode>) | undefined } = {},
): Promise<
  Pick<LoadedTarget, "desired" | "notes" | "skipped" | "engine"> & {
    connect: () => Promise<ClusterPort>;
    release: ReleaseMode;
  }
> {
  const { deps, target, github } = context;
  let connected: Promise<ClusterPort> | undefined;
  const connect = () => {
    connected ??= deps.connectCluster(target, purpose);
    return connected;
  };
  const release = options.release ?? releaseModeReader(connect, target, deps.signal);
  const loaded = await loadTargetObjects(
    {
      readTree: (paths) =>
        github.source.fetchTree({ repo: target.repo, sha, paths, limits: deps.sourceLimits }),
      renderer: deps.renderer,
      capabilities: async () => capabilitiesOf(await connect(), deps.signal),
      release,
      signal: deps.signal,
      sourceLimits: deps.sourceLimits,
      // Previews never decrypt: a pull request cannot make the worker decrypt anything.
      secrets: purpose === "preview" ? { mode: "seal" } : sopsAccessOf(context),
    },
    target,
  );
  return {
    desired: loaded.desired,
    notes: loaded.notes,
    skipped: loaded.skipped,
    engine: loaded.engine,
    release: await releaseModeFor(loaded, release),
    connect,
  };
}

/** A sync's access to encrypted files: the target's keys (none: every encrypted file is refused, naming why). */
export function sopsAccessOf(context: JobContext): SopsAccess {
  const { deps, target } = context;
  return {
    mode: "decrypt",
    keys: deps.keyRing?.(target) ?? createKeyRing({ kms: { allowed: [], keys: NO_KMS }, age: [] }),
    values: context.secretValues,
  };
}

/** The KMS port of a worker built without one: no key is allowed, so it is never called. */
const NO_KMS: KmsDataKeys = {
  decrypt: () => Promise.reject(new Error("no KMS configured")),
};

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

const ENGINE_NAMES: Record<RenderEngine, string> = { kustomize: "Kustomize", helm: "Helm" };

/**
 * Under `render: auto` the engine is known only now: a setting it never reads (`include` on a
 * directory that holds a kustomization) would be ignored in silence, so it is refused instead.
 */
function refuseUnusedSettings(target: Target, engine: RenderEngine | "plain"): void {
  const [field] = settingsUnusedBy(target, engine);
  if (field === undefined) return;
  const how =
    engine === "plain"
      ? "as plain manifests (it holds no kustomization or Chart.yaml)"
      : `with ${ENGINE_NAMES[engine]}`;
  throw new ConfigError(
    `target ${target.name}: ${field}`,
    `only ${readersOf(field)} read \`${field}\`, and ${target.path} is rendered ${how}: remove \`${field}\` from the target, or set its \`render\``,
  );
}

/** How many skipped files a refusal lists before "and N more". */
const LISTED_SKIPS = 5;

/** "no manifests in apps/web; 2 files skipped: a.jsonnet (…), …" — why an empty target is refused, and how to allow it. */
function emptyTargetError(
  target: Target,
  found: { engine: RenderEngine | "plain"; files: SourceTree; skipped: readonly SkippedFile[] },
): SyncRefusedError {
  const { engine, files, skipped } = found;
  const list = (items: readonly string[]) =>
    `${items.slice(0, LISTED_SKIPS).join(", ")}${items.length > LISTED_SKIPS ? `, and ${items.length - LISTED_SKIPS} more` : ""}`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  let what: string;
  if (engine !== "plain") {
    what = `${target.path} rendered no objects (${ENGINE_NAMES[engine]})`;
  } else {
    const byExtension = selectManifestFiles(files.keys(), target.path);
    const selected = selectManifestFiles(files.keys(), target.path, target);
    if (selected.length > 0) {
      what = `no objects in ${target.path}: ${plural(selected.length, "manifest file")} (${list(selected)}) hold${selected.length === 1 ? "s" : ""} no object`;
    } else if (byExtension.length > 0) {
      what = `no manifests in ${target.path}: the target's include/exclude/recursive leave out all ${plural(byExtension.length, "manifest file")} (${list(byExtension)})`;
    } else if (skipped.length > 0) {
      what = `no manifests in ${target.path}; ${plural(skipped.length, "file")} skipped: ${list(skipped.map((s) => `${s.path} (${s.reason})`))}`;
    } else if ([...files.keys()].some((file) => isPathWithin(target.path, file))) {
      what = `no manifests in ${target.path}: it holds only hidden files`;
    } else {
      what = `no manifests in ${target.path}: there is no file there (is the path right?)`;
    }
  }
  return new SyncRefusedError(
    `${what}; refusing to sync target ${target.name} to nothing (set allowEmpty: true on the target, or pass --allow-empty to pullbridge, if it may be empty)`,
  );
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
