/**
 * `pullbridge diff <dir>` and `pullbridge sync <dir>`: the worker's sync (lib/app/sync-command.ts)
 * of a directory, planned (server-side dry-run, no writes) or applied, with the caller's
 * kubeconfig; `sync --wait` then waits for the applied objects' health.
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { healthSubjectsOf } from "../../../lib/app/start-health-wait.ts";
import { runSyncCommand, type SyncProgress } from "../../../lib/app/sync-command.ts";
import { type HealthWaitResult, waitForSubjects } from "../../../lib/app/wait-for-health.ts";
import {
  formatHealthProgress,
  formatHealthWaitResult,
  healthWaitJson,
} from "../../../lib/cli/format-health.ts";
import { formatLifecyclePlan, formatLifecycleStep } from "../../../lib/cli/format-lifecycle.ts";
import { formatProgress } from "../../../lib/cli/format-progress.ts";
import { formatSkippedFiles, formatSyncResult, syncResultJson } from "../../../lib/cli/format-sync-result.ts";
import { applySetParentName } from "../../../lib/config/targets.ts";
import { ConfigError } from "../../../lib/errors.ts";
import { describePlan } from "../../../lib/lifecycle/describe-plan.ts";
import { createProcessRenderer } from "../../../lib/render/adapters/process-renderer.ts";
import { createSecretValues, type SecretValues } from "../../../lib/secrets/secret-values.ts";
import { PULLBRIDGE_VERSION } from "../../../lib/sync/tooling-version.ts";
import { type CommandContext, defineCommand, EXIT, type Terminal } from "../cli-command.ts";
import { CLUSTER_FLAGS, FLAGS, LOCAL_TARGET_FLAGS } from "../cli-flags.ts";
import { cliKeyRing } from "../cli-key-ring.ts";
import { describeRevision } from "../git-revision.ts";
import { type LocalTargetFlags, loadNotes, resolveLocalTarget } from "../local-target.ts";
import type { ClusterConnection } from "../target-cluster.ts";

const TARGET_ABOUT =
  "Without --targets, <dir> is the target's path inside the repository root (--root, else the git top level) and the flags below give its name, namespace, watch paths and policy. With --targets <file>, <dir> is the repository root and the file's target applies: its path, watch paths, namespace and policy (the cluster is still your kubeconfig; the CLI never reads the file's clusters). Either way only the target's directories are read, with the worker's file and byte limits.";

/** Flags both take; the sync-only switches of a target's policy sit with the others. */
const SYNC_FLAGS = {
  ...CLUSTER_FLAGS,
  ...LOCAL_TARGET_FLAGS,
  prune: FLAGS.prune,
  revision: FLAGS.revision,
  adopt: FLAGS.adopt,
  "force-conflicts": FLAGS["force-conflicts"],
} as const;

/** `diff`: plan only. */
export const diffCommand = defineCommand({
  name: "diff",
  operands: ["<dir>"],
  usage: "<dir> [options]",
  summary: "plan <dir> against the live cluster (server-side dry-run, no writes)",
  about: `Plans <dir> against the live cluster, as the bridge's worker would sync it: every change is server-side dry-run, nothing is written. Prints each object's change with its file:line, then git diff-style YAML diffs (Secret values and every value decrypted from a SOPS file masked: SOPS files are decrypted with your own AWS credentials and age key, SOPS_AGE_KEY / SOPS_AGE_KEY_FILE, as sops does), and tells drift (someone changed the cluster) from a change in Git. A commit with hooks or several waves (docs/lifecycle.md) first prints its order: each step with its objects, the sync-fail hooks, the objects left out.\n\n${TARGET_ABOUT}`,
  flags: {
    ...SYNC_FLAGS,
    summary: FLAGS.summary,
    "full-diff": FLAGS["full-diff"],
    revision: {
      ...FLAGS.revision,
      help: "revision to plan as (default: git HEAD of <dir>, as sync records it)",
    },
  },
  examples: [
    "pullbridge diff deploy/ -n apps --target web",
    "pullbridge diff . --targets infra/targets.yaml --target platform-apps --context prod",
    "pullbridge diff apps/web/overlays/prod -n web --summary",
  ],
  exitCodes: "0 no changes, 2 changes, 1 error (as kubectl diff).",
  run: (context) =>
    diffOrSync(context, { mode: "plan", summary: context.flags.summary, fullDiff: context.flags.fullDiff }),
});

/** `sync`: apply, and with `--wait` wait for health. */
export const syncCommand = defineCommand({
  name: "sync",
  operands: ["<dir>"],
  usage: "<dir> [options]",
  summary: "apply <dir>: server-side apply, prune, ApplySet inventory",
  about: `Applies <dir> as the bridge's worker does: the whole set is dry-run first (any refusal: nothing is written), then applied in order (CRDs, Namespaces, cluster-scoped, namespaced) with server-side apply, objects no longer in <dir> are pruned, and the revision is recorded on the target's ApplySet parent. Progress goes to stderr once a sync takes more than a second.\n\nA commit with hooks or several waves (docs/lifecycle.md) runs in steps, in-process: pre-sync hooks, each wave, post-sync hooks; each step is applied, then waited for (objects healthy, hook Jobs complete) before the next starts, with a line per step on stderr — with or without --wait, which then also sets each step's timeout. A failed step ends the sync: later steps are not applied, sync-fail hooks run, and the exit code is 1.\n\n${TARGET_ABOUT}`,
  flags: { ...SYNC_FLAGS, wait: FLAGS.wait, timeout: FLAGS.timeout },
  examples: [
    "pullbridge sync deploy/ -n apps --target web --output json",
    "pullbridge sync deploy/ -n apps --target web --wait --timeout 120",
    "pullbridge sync apps/shop/overlays/prod -n shop --cluster-scoped --wait",
  ],
  exitCodes:
    "0 synced (with --wait: and healthy), 1 error (with --wait: also an object failed or the timeout passed).",
  run: async (context) => {
    if (context.flags.timeout !== undefined && !context.flags.wait)
      throw new ConfigError("sync", "--timeout needs --wait");
    return await diffOrSync(context, {
      mode: "apply",
      wait: context.flags.wait,
      timeoutSeconds: context.flags.timeout,
    });
  },
});

type SyncFlags = LocalTargetFlags & {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly revision: string | undefined;
};

/** What the two commands differ in. */
type Mode =
  | { mode: "plan"; summary: boolean; fullDiff: boolean }
  | { mode: "apply"; wait: boolean; timeoutSeconds: number | undefined };

/** Diffs past this size are summarised unless --full-diff: a terminal cannot take megabytes of CRD diffs. */
const MAX_TERMINAL_DIFF_BYTES = 256 * 1024;

async function diffOrSync(context: CommandContext<SyncFlags>, how: Mode): Promise<number> {
  // SOPS files decrypt with the caller's own keys; what they decrypt is redacted from all output.
  const values = createSecretValues();
  try {
    return await diffOrSyncShown(
      { ...context, terminal: redactingTerminal(context.terminal, values) },
      how,
      values,
    );
  } catch (error) {
    throw values.redactDeep(error);
  }
}

/** The terminal with every decrypted value replaced by `***` in all it prints. */
function redactingTerminal(terminal: Terminal, values: SecretValues): Terminal {
  return {
    ...terminal,
    out: (text) => terminal.out(values.redact(text)),
    err: (text) => terminal.err(values.redact(text)),
    json: (value) => terminal.json(values.redactDeep(value)),
  };
}

async function diffOrSyncShown(
  context: CommandContext<SyncFlags>,
  how: Mode,
  values: SecretValues,
): Promise<number> {
  const { flags, terminal, operands } = context;
  const { output, p } = terminal;
  const [dir = "."] = operands;
  const connection = await context.connect(flags);
  const local = await resolveLocalTarget({
    flags,
    cwd: context.cwd,
    dir,
    namespace: () => flags.namespace ?? connection.namespace ?? "default",
  });
  const { target } = local;
  const revision = flags.revision ?? (await describeRevision(join(local.root, target.path)));
  const summary = how.mode === "plan" && how.summary;
  const progress = output === "text" ? progressPrinter(terminal) : undefined;
  const timeoutSeconds =
    (how.mode === "apply" ? how.timeoutSeconds : undefined) ?? target.health.timeoutSeconds;
  let synced: Awaited<ReturnType<typeof runSyncCommand>>;
  try {
    synced = await runSyncCommand(
      {
        cluster: connection.cluster,
        toolingVersion: PULLBRIDGE_VERSION,
        now: context.now,
        renderer: createProcessRenderer({ binaryPath: terminal.env.PULLBRIDGE_RENDERER_PATH }),
        readTree: local.readTree,
        secrets: { mode: "decrypt", keys: cliKeyRing(terminal.env, target, local.keys), values },
        ...(progress ? { onProgress: progress.onProgress } : {}),
        // Hooks and waves: each step is waited for in-process (a person watches the CLI).
        lifecycle: {
          waitForStep: (step) =>
            waitForRollout(context, connection, {
              target,
              subjects: step.subjects,
              applySetId: step.applySetId,
              timeoutSeconds: timeoutSeconds,
            }),
          onStep: (event) => {
            if (output === "text") terminal.err(`${formatLifecycleStep(event, p)}\n`);
          },
        },
      },
      {
        target,
        configuredTargets: local.configuredTargets,
        discoverWatch: local.discoverWatch,
        revision,
        mode: how.mode,
        // Every diff where the output shows them (JSON, a plan's text; the terminal summarises past
        // its byte budget itself); none for a sync's text report, which lists what was done.
        maxDiffs: output === "json" || (how.mode === "plan" && !summary) ? Number.POSITIVE_INFINITY : 0,
      },
    );
  } finally {
    progress?.done();
  }
  const { result } = synced;
  const { skipped } = synced.loaded;
  for (const note of loadNotes(target, synced.loaded)) terminal.err(`${note}\n`);
  const report = {
    target: target.name,
    namespace: target.namespace,
    parent: applySetParentName(target),
    server: connection.server,
  };
  if (output === "text") {
    const skips = formatSkippedFiles(skipped, p);
    const text = formatSyncResult(result, report, p, {
      ...(summary ? { showDiffs: false } : {}),
      ...(how.mode === "plan" && how.fullDiff ? {} : { maxDiffBytes: MAX_TERMINAL_DIFF_BYTES }),
    });
    const order = synced.lifecycle ? `${formatLifecyclePlan(synced.lifecycle, p)}\n` : "";
    terminal.out(`${order}${text}\n${skips === "" ? "" : `${skips}\n`}`);
  }
  // A multi-step sync waited for every step already; its last step's health is the run's.
  const health = synced.failedStep
    ? synced.failedStep.health
    : how.mode === "apply" && how.wait && !synced.lifecycle
      ? await waitForRollout(context, connection, {
          target,
          subjects: healthSubjectsOf(result),
          applySetId: result.applySetId,
          timeoutSeconds,
        })
      : undefined;
  if (output === "json") {
    terminal.json({
      ...syncResultJson(result, report),
      ...(synced.lifecycle ? { order: describePlan(synced.lifecycle) } : {}),
      skipped,
      ...(health ? { health: healthWaitJson(health, timeoutSeconds) } : {}),
    });
  } else if (health) {
    const { verdict, table } = formatHealthWaitResult(health, { timeoutSeconds, p });
    if (health.outcome === "healthy") terminal.out(`${table === "" ? "" : `\n${table}\n`}\n${verdict}\n`);
    else {
      terminal.out(`\n${table}\n`);
      terminal.err(`${p.enabled ? p.red(verdict) : verdict}\n`);
    }
  }
  if (health && health.outcome !== "healthy") return EXIT.error;
  return how.mode === "plan" && result.changed ? EXIT.changes : EXIT.ok;
}

/** Prints progress on stderr once a sync has run for a second: a rewritten line on a terminal, a line every 5 s otherwise. */
function progressPrinter(terminal: Terminal) {
  const started = Date.now();
  let last = 0;
  let shown = false;
  const everyMs = terminal.stderrIsTty ? 200 : 5_000;
  return {
    onProgress(progress: SyncProgress) {
      const now = Date.now();
      if (now - started < 1_000 || now - last < everyMs) return;
      last = now;
      const line = formatProgress(progress, now - started);
      if (terminal.stderrIsTty) terminal.err(`\r\u001b[2K${terminal.p.dim(line)}`);
      else terminal.err(`${line}\n`);
      shown = true;
    },
    done() {
      if (shown && terminal.stderrIsTty) terminal.err("\r\u001b[2K");
    },
  };
}

/**
 * `sync --wait`: reads the applied objects' health until they are healthy, one failed or the
 * timeout passed, with a live line on stderr (rewritten on a terminal; a line whenever the text
 * changes otherwise, as `kubectl rollout status` prints).
 */
async function waitForRollout(
  context: CommandContext<unknown>,
  connection: ClusterConnection,
  input: Parameters<typeof waitForSubjects>[1],
): Promise<HealthWaitResult> {
  const { terminal } = context;
  let last = "";
  let shown = false;
  try {
    return await waitForSubjects(
      {
        cluster: connection.cluster,
        now: context.now,
        sleep: (ms) => sleep(ms),
        onProgress(assessment, elapsedMs) {
          if (terminal.output !== "text") return;
          const line = formatHealthProgress(assessment.rows, elapsedMs);
          if (terminal.stderrIsTty) {
            terminal.err(`\r\u001b[2K${terminal.p.dim(line)}`);
            shown = true;
            return;
          }
          // Without a terminal, a line only when something other than the seconds changed.
          const text = line.replace(/ \(\d+s\)$/, "");
          if (text !== last) terminal.err(`${line}\n`);
          last = text;
        },
      },
      input,
    );
  } finally {
    if (shown) terminal.err("\r\u001b[2K");
  }
}
