/**
 * A sync's source and render phases through the fleet cache (issue 26): the commit's tree from
 * the artifact cache (downloaded from GitHub once per commit, for every target), the target's
 * render reused while what it read is unchanged, and what the render read recorded for routing.
 *
 * The target's routing record says which files, listings and existence checks its last render
 * depended on; their digest at this commit (from the tree index alone) keys the render cache, so
 * a quiet drift check downloads nothing and renders nothing. On a miss the target is rendered
 * from the cached tree — its path and watch paths, the files its last render read wherever they
 * are, and the bases its kustomizations name (so an overlay whose base lies elsewhere needs no
 * `watch`) — and the result is stored unless the tree held SOPS-encrypted files (a cached set
 * would hold decrypted values in S3; such targets render every time).
 */

import { inputsDigest } from "../cache/input-digest.ts";
import { renderKey } from "../cache/render-key.ts";
import type { TreeView } from "../cache/tree-index.ts";
import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { describeError } from "../errors.ts";
import { chooseRenderEngine } from "../render/choose-render-engine.ts";
import type { RenderCapabilities } from "../render/render-desired.ts";
import { sourcePathsOf } from "../render/target-source-paths.ts";
import { type RoutingRecord, samePaths } from "../routing/routing-record.ts";
import { FleetMetric } from "../telemetry/metric-names.ts";
import {
  capabilitiesOf,
  type LoadedTarget,
  loadJobObjects,
  loadTargetObjects,
  sopsAccessOf,
} from "./load-target-objects.ts";
import { releaseModeFor, releaseModeReader } from "./release-mode.ts";
import type { FleetDeps, JobContext } from "./worker-deps.ts";

/** What a sync needs from the source and render phases. */
export type SyncObjects = Awaited<ReturnType<typeof loadJobObjects>> & {
  /** `hit`: the cached render was used; `miss`: rendered (and stored); `off`: no fleet cache. */
  cache: "hit" | "miss" | "off";
};

/** The target's objects at `sha` for a sync or drift job; falls back to the direct path without a fleet cache. */
export async function loadSyncObjects(context: JobContext, sha: string): Promise<SyncObjects> {
  const { deps, target, github } = context;
  const fleet = deps.fleet;
  if (fleet === undefined) return { ...(await loadJobObjects(context, "sync", sha)), cache: "off" };
  const view = await fleet.trees.index(
    github.source,
    { repo: target.repo, sha, maxArchiveBytes: deps.sourceLimits.maxArchiveBytes },
    deps.signal,
  );
  if (view === undefined) return { ...(await loadJobObjects(context, "sync", sha)), cache: "off" };

  let connected: Promise<ClusterPort> | undefined;
  const connect = () => {
    connected ??= deps.connectCluster(target, "sync");
    return connected;
  };
  const record = await readRecord(fleet, target, deps.logger);
  const dirs = sourcePathsOf(target);
  const paths = [
    ...view.filesWithin([target.path]).map((f) => f.path),
    ...view.linksWithin([target.path]).map((l) => l.path),
  ];
  const engine = chooseRenderEngine(target.render, paths, target.path);
  let capabilities: RenderCapabilities | undefined;
  const capabilitiesOnce = async () => {
    capabilities ??= await capabilitiesOf(await connect(), deps.signal);
    return capabilities;
  };
  if (engine === "helm") await capabilitiesOnce();
  // A Helm chart renders as an install until the target synced once, then as an upgrade.
  const release = releaseModeReader(connect, target, deps.signal);
  const helmRelease = engine === "helm" ? await release() : undefined;
  const renderer = engine === "plain" ? undefined : await deps.renderer?.identity?.();
  const keyOf = (digest: string) =>
    renderKey({
      target,
      inputsDigest: digest,
      renderer,
      toolingVersion: deps.toolingVersion,
      capabilities,
      release: helmRelease,
    });

  if (record !== undefined) {
    // Same commit as the record: same inputs, same digest — no need to look at the tree.
    const digest = record.sha === sha ? record.digest : inputsDigest(view, dirs, record);
    const cached = await fleet.renders.get(keyOf(digest), deps.signal);
    if (cached !== undefined) {
      fleet.counters.add(FleetMetric.RenderCacheHits);
      return {
        desired: cached.desired,
        notes: cached.notes,
        skipped: cached.skipped,
        engine: cached.engine,
        release: await releaseModeFor({ engine: cached.engine, desired: cached.desired }, release),
        connect,
        cache: "hit",
      };
    }
  }
  fleet.counters.add(FleetMetric.RenderCacheMisses);
  const read = fleet.trees.reader(github.source, view, deps.sourceLimits, deps.signal);
  // What the last render read outside the target's directories is read again (an overlay's base).
  const elsewhere = (record?.inputs ?? []).filter((input) => view.file(input) !== undefined);
  const loaded = await loadTargetObjects(
    {
      readTree: (selected) => read([...new Set([...selected, ...elsewhere])]),
      renderer: deps.renderer,
      capabilities: async () => (engine === "helm" ? capabilitiesOnce() : undefined),
      release,
      signal: deps.signal,
      sourceLimits: deps.sourceLimits,
      secrets: sopsAccessOf(context),
    },
    target,
    { discoverWatch: true },
  );
  if (!loaded.encrypted) await remember(fleet, { target, sha, view, dirs, loaded, record, keyOf, deps });
  return {
    desired: loaded.desired,
    notes: loaded.notes,
    skipped: loaded.skipped,
    engine: loaded.engine,
    release: await releaseModeFor(loaded, release),
    connect,
    cache: "miss",
  };
}

/** The target's routing record; a record that cannot be read is as good as none (render, and route everything). */
async function readRecord(
  fleet: FleetDeps,
  target: Target,
  log: JobContext["deps"]["logger"],
): Promise<RoutingRecord | undefined> {
  try {
    return (await fleet.routing.read(target.repo, target.branch))?.targets[target.name];
  } catch (error) {
    fleet.counters.add(FleetMetric.StateStoreErrors);
    log.warn("routing records could not be read; rendering", {
      target: target.name,
      error: describeError(error),
    });
    return undefined;
  }
}

/** Stores the render under the key of what it read, and records what it read for routing when that changed. */
async function remember(
  fleet: FleetDeps,
  done: {
    target: Target;
    sha: string;
    view: TreeView;
    dirs: readonly string[];
    loaded: LoadedTarget;
    record: RoutingRecord | undefined;
    keyOf: (digest: string) => string;
    deps: JobContext["deps"];
  },
): Promise<void> {
  const { target, loaded, view } = done;
  const read = {
    inputs: [...(loaded.inputs ?? [])],
    listed: [...(loaded.listed ?? [])],
    probed: { ...loaded.probed },
  };
  const record: RoutingRecord = { sha: done.sha, ...read, digest: inputsDigest(view, done.dirs, read) };
  await fleet.renders.put(
    done.keyOf(record.digest),
    {
      engine: loaded.engine,
      renderer: loaded.renderer,
      notes: loaded.notes,
      desired: loaded.desired,
      skipped: loaded.skipped,
    },
    done.deps.signal,
  );
  if (samePaths(done.record, record)) return;
  await fleet.routing.record(
    { repo: target.repo, branch: target.branch, target: target.name },
    record,
    done.deps.signal,
  );
}
