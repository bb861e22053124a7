/**
 * `pullbridge render <dir>`: the objects the directory renders to, loaded as the worker loads a
 * target (lib/app/load-target-objects.ts), printed as the reference tool prints them.
 */
import { stringify } from "yaml";
import { loadTargetObjects } from "../../../lib/app/load-target-objects.ts";
import { HelmAnnotation, lifecycleRoleOf } from "../../../lib/lifecycle/lifecycle-annotations.ts";
import type { DesiredObject } from "../../../lib/manifests/kube-object.ts";
import { createProcessRenderer } from "../../../lib/render/adapters/process-renderer.ts";
import { defineCommand, EXIT } from "../cli-command.ts";
import { FLAGS, LOCAL_TARGET_FLAGS } from "../cli-flags.ts";
import { loadNotes, resolveLocalTarget } from "../local-target.ts";

export const renderCommand = defineCommand({
  name: "render",
  operands: ["<dir>"],
  usage: "<dir> [options]",
  summary:
    "print the objects <dir> renders to (Kustomize overlay, Helm chart or plain manifests), as `kustomize build` / `helm template` would",
  about:
    "Prints what <dir> renders to, byte for byte: a Kustomize overlay as `kustomize build`, a Helm chart as `helm template --include-crds --no-hooks`, plain manifests as they are — read, rendered and checked against the target's policy as the worker does, without a cluster. Notes (bases read outside <dir>, a chart's hooks: run by a sync in their phase, not printed, as --no-hooks leaves them out) go to stderr; -o json adds each object's source file.\n\nWithout --targets, <dir> is the target's path inside the repository root; with --targets <file>, <dir> is the repository root and the file's target applies.",
  flags: {
    ...LOCAL_TARGET_FLAGS,
    targets: {
      ...FLAGS.targets,
      help: "a targets file: <dir> is then the repository root, and the target's path, watch paths, namespace and policy apply",
    },
    namespace: {
      ...FLAGS.namespace,
      help: 'the target\'s namespace without --targets (default: "default"; render reads no kubeconfig)',
    },
    "kube-version": FLAGS["kube-version"],
  },
  examples: ["pullbridge render apps/web/overlays/prod"],
  exitCodes: "0 rendered, 1 error.",
  run: async ({ flags, operands, terminal, cwd }) => {
    const [dir = "."] = operands;
    const local = await resolveLocalTarget({
      flags,
      cwd,
      dir,
      namespace: () => flags.namespace ?? "default",
    });
    const rendered = await loadTargetObjects(
      {
        readTree: local.readTree,
        renderer: createProcessRenderer({ binaryPath: terminal.env.PULLBRIDGE_RENDERER_PATH }),
        capabilities: async () => ({ kubeVersion: flags.kubeVersion, apiVersions: [] }),
        // Rendering prints what it renders: encrypted values stay sealed (`sealed:<digest>`), never decrypted.
        secrets: { mode: "seal" },
      },
      local.target,
      { discoverWatch: local.discoverWatch },
    );
    // A chart's hooks are not in `helm template --no-hooks` text: listed apart, with what a sync does with them.
    const isHelmHook = (d: DesiredObject) =>
      rendered.engine === "helm" && d.object.metadata.annotations?.[HelmAnnotation.hook] !== undefined;
    const hooks = rendered.desired.filter(isHelmHook);
    for (const note of loadNotes(local.target, rendered)) terminal.err(`${note}\n`);
    for (const hook of hooks) terminal.err(`note: ${helmHookNote(hook)}\n`);
    if (terminal.output === "json") {
      terminal.json({
        engine: rendered.engine,
        renderer: rendered.renderer ?? null,
        objects: rendered.desired
          .filter((d) => !isHelmHook(d))
          .map((d) => ({ object: d.object, source: d.source })),
        hooks: hooks.map((d) => ({ object: d.object, source: d.source })),
        notes: rendered.notes,
        inputs: rendered.inputs ?? null,
      });
    } else if (rendered.output) {
      terminal.out(rendered.output.text);
    } else {
      terminal.out(rendered.desired.map((d) => stringify(d.object)).join("---\n"));
    }
    return EXIT.ok;
  },
});

/** `Helm hook Job web-migrate (helm.sh/hook: pre-install,pre-upgrade) from …: …` — what a sync does with it. */
function helmHookNote(hook: DesiredObject): string {
  const { kind, metadata } = hook.object;
  const what = `Helm hook ${kind} ${metadata.name ?? metadata.generateName ?? ""} (${HelmAnnotation.hook}: ${metadata.annotations?.[HelmAnnotation.hook]}) from ${hook.source.file}`;
  // Render has no cluster to tell install from upgrade: a hook is skipped only if it fires on neither.
  const role = lifecycleRoleOf(hook.object, "install");
  if (role.role === "skipped" && lifecycleRoleOf(hook.object, "upgrade").role === "skipped")
    return `skipped ${what}: ${role.reason}`;
  return `${what}: not printed (as --no-hooks); a sync runs it as a hook in its phase (pullbridge diff shows the order)`;
}
