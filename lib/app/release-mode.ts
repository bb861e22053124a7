/**
 * Helm install or upgrade (`.Release.IsUpgrade`, and which of a chart's `pre-install` /
 * `pre-upgrade` hooks fire), decided from the target's inventory as Helm decides it from its
 * release records: the first sync is an install, every later one an upgrade.
 */

import type { ClusterPort } from "../cluster/cluster-port.ts";
import type { Target } from "../config/targets.ts";
import { HelmAnnotation, type ReleaseMode } from "../lifecycle/lifecycle-annotations.ts";
import { releaseModeOf } from "../lifecycle/lifecycle-cursor.ts";
import type { DesiredObject } from "../manifests/kube-object.ts";
import { readTargetInventory } from "./read-target-inventory.ts";

/** Reads the target's mode from its ApplySet parent, once however often it is asked. */
export function releaseModeReader(
  cluster: () => Promise<ClusterPort>,
  target: Pick<Target, "name" | "namespace" | "inventoryName">,
  signal?: AbortSignal | undefined,
): () => Promise<ReleaseMode> {
  let mode: Promise<ReleaseMode> | undefined;
  return () => {
    mode ??= (async () => releaseModeOf(await readTargetInventory(await cluster(), target, signal)))();
    return mode;
  };
}

/** The mode a commit syncs with: read only when Helm decides something (a chart, or Helm hooks among the objects). */
export async function releaseModeFor(
  loaded: { engine: string; desired: readonly DesiredObject[] },
  read: () => Promise<ReleaseMode>,
): Promise<ReleaseMode> {
  const helmHooks = loaded.desired.some(
    (d) => d.object.metadata.annotations?.[HelmAnnotation.hook] !== undefined,
  );
  return loaded.engine === "helm" || helmHooks ? await read() : "install";
}
