/**
 * The render cache's key: everything a target's desired set depends on besides the cluster's
 * live state — the target's configuration, the digest of what the render read (not the commit:
 * a push elsewhere in the repository keeps the key), what renders (the helper binary) and what
 * validates (pullbridge's version), Helm's `.Capabilities` and whether Helm renders an install or
 * an upgrade. Pure.
 */
import type { Target } from "../config/targets.ts";
import type { RenderCapabilities } from "../render/render-desired.ts";
import { sha256Hex } from "./tree-index.ts";

/** JSON with object keys sorted at every level, so equal values always serialise alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The key (hex) for a target's render with these inputs. */
export function renderKey(material: {
  target: Target;
  inputsDigest: string;
  /** The renderer helper's identity; `plain` targets render without it. */
  renderer: string | undefined;
  toolingVersion: string;
  /** Helm targets only: the cluster's version and API list. */
  capabilities: RenderCapabilities | undefined;
  /** Helm targets only: whether the chart renders as an install or an upgrade (`.Release.IsUpgrade`). */
  release?: "install" | "upgrade" | undefined;
}): string {
  const capabilities =
    material.capabilities === undefined
      ? null
      : {
          kubeVersion: material.capabilities.kubeVersion ?? null,
          apiVersions: [...material.capabilities.apiVersions].sort(),
        };
  return sha256Hex(
    canonical({
      v: 1,
      target: material.target,
      inputs: material.inputsDigest,
      renderer: material.renderer ?? null,
      tooling: material.toolingVersion,
      capabilities,
      helmRelease: capabilities === null ? null : (material.release ?? "install"),
    }),
  );
}
