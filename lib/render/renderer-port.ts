/**
 * The renderer port: a repository tree and a target directory in, the objects Kustomize or
 * Helm render out, each with the file it came from. The adapter runs the reference
 * implementations (a Go helper over Kustomize's and Helm's own libraries) in a bounded child
 * process; failures are `RenderError`s naming the file.
 */
import type { SourceTree } from "../source/git-source.ts";

/** The renderers a target can use; `plain` targets are read as they are written. */
export type RenderEngine = "kustomize" | "helm";

/** Helm's inputs: release identity, values, and the cluster facts `.Capabilities` shows. */
export type HelmRenderOptions = {
  releaseName: string;
  namespace: string;
  /** Repository-relative values files, in order (later wins, as repeated `--values`). */
  valuesFiles: readonly string[];
  /** Inline values, merged last. */
  values: Readonly<Record<string, unknown>>;
  /** `v1.36.3`; Helm's default when absent. */
  kubeVersion?: string | undefined;
  /** `apps/v1`, `apps/v1/Deployment`, … from discovery. */
  apiVersions: readonly string[];
  /**
   * Render as an upgrade (`.Release.IsUpgrade`, `helm template --is-upgrade`) rather than an install.
   * Part of the request, so anything that caches renders keys on it.
   */
  isUpgrade?: boolean | undefined;
};

export type RenderRequest = {
  files: SourceTree;
  /** Target directory, repository-relative (`.` for the root). */
  path: string;
  engine: RenderEngine;
  helm?: HelmRenderOptions | undefined;
  signal?: AbortSignal | undefined;
};

/** One rendered object as YAML text and the repository file it came from. */
export type RenderedObject = {
  yaml: string;
  source: {
    file: string;
    /**
     * When Kustomize records a kustomization rather than a resource file as the object's origin:
     * the generator or transformer configured there (`ConfigMapGenerator`, or `PatchTransformer`
     * for a JSON 6902 patch with a target, which replaces the object).
     */
    generatedBy?: string | undefined;
  };
};

export type RenderOutput = {
  /** `kustomize v5.8.2/api-v0.21.2`, `helm v3.21.4`. */
  renderer: string;
  /** Byte for byte what `kustomize build` / `helm template --include-crds --no-hooks` print. */
  text: string;
  /** The objects, in the text's order (each one's YAML is its document in the text). */
  objects: readonly RenderedObject[];
  /** Helm hook objects (`helm.sh/hook`), in Helm's order: run as hooks, never applied as members. */
  hooks: readonly RenderedObject[];
  /** Things a user should know that are not failures (e.g. Helm hooks that were skipped). */
  notes: readonly string[];
  /** Every repository file the render read: the target's dependency closure. */
  inputs: readonly string[];
  /** Directories the render listed: a file added there can change it. */
  listed?: readonly string[] | undefined;
  /** Paths whose existence the render checked, and what it found then. */
  probed?: Readonly<Record<string, ProbeResult>> | undefined;
};

/** What an existence check found. */
export type ProbeResult = "file" | "dir" | "absent";

/** Renders one target; throws `RenderError`. */
export interface Renderer {
  render(request: RenderRequest): Promise<RenderOutput>;
  /**
   * What renders (the helper binary's content digest): part of a cached render's key, so a
   * deployed renderer of other code never reuses another's renders. Asked once per container.
   */
  identity?(): Promise<string>;
}

/** Bounds one render: the adapter enforces them and kills the helper past the time limit. */
export type RenderLimits = {
  timeoutMs: number;
  /** The rendered text (what `kustomize build` / `helm template` print), in bytes. */
  maxOutputBytes: number;
  /** The helper's resident memory: a hard bound (the kernel refuses it more), not a target. */
  maxMemoryBytes: number;
};

/**
 * Defaults for the worker: far above a real chart or overlay (a large chart such as
 * kube-prometheus-stack renders a few MB). The memory bound is part of the worker's budget
 * (serverless.yml: 1,536 MB function ≥ Node's heap cap of 512 MB + what Node holds beside it +
 * these 640 MiB; BENCHMARKS.md "Memory budget").
 */
export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  timeoutMs: 30_000,
  maxOutputBytes: 32 * 1024 * 1024,
  maxMemoryBytes: 640 * 1024 * 1024,
};
