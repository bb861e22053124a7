/**
 * The CLI's composition: arguments → adapters (kubeconfig cluster client, directory reader,
 * git revision) → a use case in lib/app → text or JSON on stdout, errors on stderr, an exit code.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { adHocTarget, selectTarget } from "../../lib/app/cli-target.ts";
import { planImagesCommand, readImageEvent } from "../../lib/app/images-plan-command.ts";
import { loadTargetObjects } from "../../lib/app/load-target-objects.ts";
import { repairInventory } from "../../lib/app/repair-inventory-command.ts";
import { healthSubjectsOf } from "../../lib/app/start-health-wait.ts";
import { readTargetStatuses, type StatusQuery, withLastDeployments } from "../../lib/app/status-command.ts";
import { runSyncCommand, type SyncProgress } from "../../lib/app/sync-command.ts";
import { validateTargets } from "../../lib/app/validate-targets-command.ts";
import { type HealthWaitResult, waitForSubjects } from "../../lib/app/wait-for-health.ts";
import { adHocFlagHints, cliErrorJson, formatCliError } from "../../lib/cli/format-cli-error.ts";
import { formatHealthProgress, formatHealthWaitResult, healthWaitJson } from "../../lib/cli/format-health.ts";
import { formatImagesPlan, imagesPlanJson } from "../../lib/cli/format-images-plan.ts";
import { formatInventoryRepair } from "../../lib/cli/format-inventory-repair.ts";
import { formatLifecyclePlan, formatLifecycleStep } from "../../lib/cli/format-lifecycle.ts";
import { formatProgress } from "../../lib/cli/format-progress.ts";
import { formatStatusTable, statusJson } from "../../lib/cli/format-status.ts";
import { formatSkippedFiles, formatSyncResult, syncResultJson } from "../../lib/cli/format-sync-result.ts";
import { formatTable } from "../../lib/cli/format-table.ts";
import { createPalette, type Palette, shouldUseColour } from "../../lib/cli/palette.ts";
import { applySetParentName, parseTargetsYaml, type Target } from "../../lib/config/targets.ts";
import { ConfigError } from "../../lib/errors.ts";
import { createGitHubClientProvider } from "../../lib/github/adapters/github-client.ts";
import { isImageAutomationFile } from "../../lib/images/plan-image-update.ts";
import { describePlan } from "../../lib/lifecycle/describe-plan.ts";
import { createProcessRenderer } from "../../lib/render/adapters/process-renderer.ts";
import type { Renderer } from "../../lib/render/renderer-port.ts";
import { createGitHubDeploymentReporter } from "../../lib/reporting/adapters/github-deployment-reporter.ts";
import { readDirectoryTree } from "../../lib/source/adapters/directory-source.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { type CliArgs, HELP, parseCliArgs } from "./cli-args.ts";
import { describeRevision } from "./git-revision.ts";
import { connectKubeconfig, type KubeConnection } from "./kube-connection.ts";
import { resolveLocalTarget } from "./local-target.ts";

/** Where the CLI reads and writes; `main.ts` passes the process's. */
export type CliIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdoutIsTty: boolean;
  stderrIsTty: boolean;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  now: () => Date;
};

const EXIT = { ok: 0, error: 1, changes: 2 } as const;

type Run = { args: CliArgs; io: CliIo; p: Palette; connection?: KubeConnection };

const DEFAULT_TARGETS_FILE = "infra/targets.yaml";

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.stderr(
      `error: ${error instanceof Error ? error.message : String(error)}\nRun "pullbridge --help" for usage.\n`,
    );
    return EXIT.error;
  }
  const run: Run = {
    args,
    io,
    p: createPalette(args.output === "text" && shouldUseColour({ isTty: io.stdoutIsTty, env: io.env })),
  };
  if (args.version) {
    io.stdout(`pullbridge ${PULLBRIDGE_VERSION}\n`);
    return EXIT.ok;
  }
  if (args.help || args.command === undefined || args.command === "help") {
    io.stdout(HELP);
    return args.command === undefined && !args.help ? EXIT.error : EXIT.ok;
  }
  try {
    switch (args.command) {
      case "diff":
        return await syncCommand(run, "plan");
      case "sync":
        return await syncCommand(run, "apply");
      case "render":
        return await renderCommand(run);
      case "status":
        return await statusCommand(run);
      case "images":
        if (args.positionals[0] === "plan") return await imagesPlanCommand(run);
        throw new ConfigError(
          "images",
          `unknown subcommand "${args.positionals[0] ?? ""}" (try: pullbridge images plan [dir] --event <file>)`,
        );
      case "inventory":
        if (args.positionals[0] === "repair") return await repairCommand(run);
        throw new ConfigError(
          "inventory",
          `unknown subcommand "${args.positionals[0] ?? ""}" (try: pullbridge inventory repair --target <name>)`,
        );
      case "targets":
        if (args.positionals[0] === "validate") return await validateCommand(run);
        throw new ConfigError(
          "targets",
          `unknown subcommand "${args.positionals[0] ?? ""}" (try: pullbridge targets validate [file])`,
        );
      default:
        throw new ConfigError(
          args.command,
          'unknown command (commands: diff, sync, render, status, targets validate, images plan, inventory repair; see "pullbridge --help")',
        );
    }
  } catch (error) {
    const context = { server: run.connection?.server };
    for (const line of formatCliError(error, context))
      io.stderr(`${run.p.enabled ? run.p.red(line) : line}\n`);
    if (args.targets === undefined && (args.command === "diff" || args.command === "sync")) {
      for (const hint of adHocFlagHints(error)) io.stderr(`${run.p.dim(hint)}\n`);
    }
    if (args.output === "json") io.stdout(`${JSON.stringify(cliErrorJson(error, context), null, 2)}\n`);
    return EXIT.error;
  }
}

async function connect(run: Run): Promise<KubeConnection> {
  run.connection = await connectKubeconfig({
    kubeconfig: run.args.kubeconfig,
    context: run.args.context,
    env: run.io.env,
  });
  return run.connection;
}

async function readTargetsFile(path: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    throw new ConfigError(path, "cannot read the targets file", { cause: error });
  }
}

/** Prints progress on stderr once a sync has run for a second: a rewritten line on a terminal, a line every 5 s otherwise. */
function progressPrinter(io: CliIo, p: Palette) {
  const started = Date.now();
  let last = 0;
  let shown = false;
  const everyMs = io.stderrIsTty ? 200 : 5_000;
  return {
    onProgress(progress: SyncProgress) {
      const now = Date.now();
      if (now - started < 1_000 || now - last < everyMs) return;
      last = now;
      const line = formatProgress(progress, now - started);
      if (io.stderrIsTty) io.stderr(`\r\u001b[2K${p.dim(line)}`);
      else io.stderr(`${line}\n`);
      shown = true;
    },
    done() {
      if (shown && io.stderrIsTty) io.stderr("\r\u001b[2K");
    },
  };
}

async function syncCommand(run: Run, mode: "plan" | "apply"): Promise<number> {
  const { args, io, p } = run;
  const dir = args.positionals[0];
  if (dir === undefined || args.positionals.length > 1) {
    throw new ConfigError(
      mode === "plan" ? "diff" : "sync",
      `expects one directory (pullbridge ${mode === "plan" ? "diff" : "sync"} <dir>)`,
    );
  }
  if (args.wait && mode === "plan")
    throw new ConfigError("--wait", "applies to sync only (diff never writes)");
  const connection = await connect(run);
  const local = await resolveLocalTarget({
    args,
    cwd: io.cwd,
    dir,
    namespace: () => args.namespace ?? connection.namespace ?? "default",
    readTargetsFile,
  });
  const { target } = local;
  const revision = args.revision ?? (await describeRevision(join(local.root, target.path)));
  const progress = args.output === "text" ? progressPrinter(io, p) : undefined;
  let synced: Awaited<ReturnType<typeof runSyncCommand>>;
  try {
    synced = await runSyncCommand(
      {
        cluster: connection.cluster,
        toolingVersion: PULLBRIDGE_VERSION,
        now: io.now,
        renderer: cliRenderer(io),
        readTree: local.readTree,
        ...(progress ? { onProgress: progress.onProgress } : {}),
        // Hooks and waves: each step is waited for in-process (a person watches the CLI).
        lifecycle: {
          waitForStep: (step) =>
            waitForRollout(run, connection, {
              target,
              subjects: step.subjects,
              applySetId: step.applySetId,
              timeoutSeconds: args.timeoutSeconds ?? target.health.timeoutSeconds,
            }),
          onStep: (event) => {
            if (args.output === "text") io.stderr(`${formatLifecycleStep(event, p)}\n`);
          },
        },
      },
      {
        target,
        configuredTargets: local.configuredTargets,
        discoverWatch: local.discoverWatch,
        revision,
        mode,
        // Every diff where the output shows them (JSON, a plan's text; the terminal summarises past
        // its byte budget itself); none for a sync's text report, which lists what was done.
        maxDiffs: args.output === "json" || (mode === "plan" && !args.summary) ? Number.POSITIVE_INFINITY : 0,
      },
    );
  } finally {
    progress?.done();
  }
  const { result } = synced;
  const { skipped } = synced.loaded;
  printLoadNotes(run, target, synced.loaded);
  const context = {
    target: target.name,
    namespace: target.namespace,
    parent: applySetParentName(target),
    server: connection.server,
  };
  if (args.output === "text") {
    const skips = formatSkippedFiles(skipped, p);
    const report = formatSyncResult(result, context, p, {
      ...(args.summary ? { showDiffs: false } : {}),
      ...(args.fullDiff ? {} : { maxDiffBytes: MAX_TERMINAL_DIFF_BYTES }),
    });
    const order = synced.lifecycle ? `${formatLifecyclePlan(synced.lifecycle, p)}\n` : "";
    io.stdout(`${order}${report}\n${skips === "" ? "" : `${skips}\n`}`);
  }
  const timeoutSeconds = args.timeoutSeconds ?? target.health.timeoutSeconds;
  // A multi-step sync waited for every step already; its last step's health is the run's.
  const health = synced.failedStep
    ? synced.failedStep.health
    : args.wait && !(synced.lifecycle && mode === "apply")
      ? await waitForRollout(run, connection, {
          target,
          subjects: healthSubjectsOf(result),
          applySetId: result.applySetId,
          timeoutSeconds,
        })
      : undefined;
  if (args.output === "json") {
    io.stdout(
      `${JSON.stringify(
        {
          ...syncResultJson(result, context),
          ...(synced.lifecycle ? { order: describePlan(synced.lifecycle) } : {}),
          skipped,
          ...(health ? { health: healthWaitJson(health, timeoutSeconds) } : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else if (health) {
    const { verdict, table } = formatHealthWaitResult(health, { timeoutSeconds, p });
    if (health.outcome === "healthy") io.stdout(`${table === "" ? "" : `\n${table}\n`}\n${verdict}\n`);
    else {
      io.stdout(`\n${table}\n`);
      io.stderr(`${p.enabled ? p.red(verdict) : verdict}\n`);
    }
  }
  if (health && health.outcome !== "healthy") return EXIT.error;
  return mode === "plan" && result.changed ? EXIT.changes : EXIT.ok;
}

/**
 * `sync --wait`: reads the applied objects' health until they are healthy, one failed or the
 * timeout passed, with a live line on stderr (rewritten on a terminal; a line whenever the text
 * changes otherwise, as `kubectl rollout status` prints).
 */
async function waitForRollout(
  run: Run,
  connection: KubeConnection,
  input: Parameters<typeof waitForSubjects>[1],
): Promise<HealthWaitResult> {
  const { io, p, args } = run;
  let last = "";
  let shown = false;
  try {
    return await waitForSubjects(
      {
        cluster: connection.cluster,
        now: io.now,
        sleep: (ms) => sleep(ms),
        onProgress(assessment, elapsedMs) {
          if (args.output !== "text") return;
          const line = formatHealthProgress(assessment.rows, elapsedMs);
          if (io.stderrIsTty) {
            io.stderr(`\r\u001b[2K${p.dim(line)}`);
            shown = true;
            return;
          }
          // Without a terminal, a line only when something other than the seconds changed.
          const text = line.replace(/ \(\d+s\)$/, "");
          if (text !== last) io.stderr(`${line}\n`);
          last = text;
        },
      },
      input,
    );
  } finally {
    if (shown) io.stderr("\r\u001b[2K");
  }
}

/** Diffs past this size are summarised unless --full-diff: a terminal cannot take megabytes of CRD diffs. */
const MAX_TERMINAL_DIFF_BYTES = 256 * 1024;

/**
 * The renderer helper: `PULLBRIDGE_RENDERER_PATH`, else what `bash infra/renderer/build.sh`
 * last built (`~/.cache/pullbridge/renderer/current`).
 */
function cliRenderer(io: CliIo): Renderer {
  const cache = io.env.XDG_CACHE_HOME ?? join(io.env.HOME ?? homedir(), ".cache");
  const binaryPath =
    io.env.PULLBRIDGE_RENDERER_PATH ??
    join(cache, "pullbridge", "renderer", "current", "pullbridge-renderer");
  return createProcessRenderer({ binaryPath });
}

/**
 * Notes on stderr about how the target was read: the bases an ad-hoc overlay read outside its
 * path (the `watch` a target for it needs), and the renderer's own notes.
 */
function printLoadNotes(
  run: Run,
  target: Target,
  loaded: { discoveredWatch: readonly string[]; notes: readonly string[] },
): void {
  if (loaded.discoveredWatch.length > 0) {
    run.io.stderr(
      `note: read ${loaded.discoveredWatch.join(", ")} outside ${target.path}, as its kustomizations refer to them; a target for ${target.path} needs watch: [${loaded.discoveredWatch.join(", ")}]\n`,
    );
  }
  for (const note of loaded.notes) run.io.stderr(`note: ${note}\n`);
}

/** `pullbridge render <dir>`: the objects the directory renders to, as the reference tool prints them. */
async function renderCommand(run: Run): Promise<number> {
  const { args, io } = run;
  const dir = args.positionals[0];
  if (dir === undefined || args.positionals.length > 1) {
    throw new ConfigError("render", "expects one directory (pullbridge render <dir>)");
  }
  const local = await resolveLocalTarget({
    args,
    cwd: io.cwd,
    dir,
    namespace: () => args.namespace ?? "default",
    readTargetsFile,
  });
  const rendered = await loadTargetObjects(
    {
      readTree: local.readTree,
      renderer: cliRenderer(io),
      capabilities: async () => ({ kubeVersion: args.kubeVersion, apiVersions: [] }),
    },
    local.target,
    { discoverWatch: local.discoverWatch },
  );
  printLoadNotes(run, local.target, rendered);
  if (args.output === "json") {
    io.stdout(
      `${JSON.stringify(
        {
          engine: rendered.engine,
          renderer: rendered.renderer ?? null,
          objects: rendered.desired.map((d) => ({ object: d.object, source: d.source })),
          notes: rendered.notes,
          inputs: rendered.inputs ?? null,
        },
        null,
        2,
      )}\n`,
    );
  } else if (rendered.output) {
    io.stdout(rendered.output.objects.map((o) => o.yaml).join("---\n"));
  } else {
    io.stdout(rendered.desired.map((d) => stringify(d.object)).join("---\n"));
  }
  return EXIT.ok;
}

async function statusCommand(run: Run): Promise<number> {
  const { args, io, p } = run;
  if (args.positionals.length > 0)
    throw new ConfigError("status", "takes no arguments (use --target / --targets / -n / -A)");
  const connection = await connect(run);
  let query: StatusQuery;
  let fileTargets: Target[] = [];
  if (args.targets !== undefined) {
    const file = parseTargetsYaml(await readTargetsFile(args.targets, io.cwd), args.targets);
    fileTargets = args.target === undefined ? file.targets : [selectTarget(file, args.target, args.targets)];
    query = { kind: "targets", targets: fileTargets };
  } else {
    const namespace = args.namespace ?? connection.namespace ?? "default";
    query =
      args.target !== undefined
        ? { kind: "targets", targets: [{ name: args.target, namespace }] }
        : { kind: "discover", namespace: args.allNamespaces ? undefined : namespace };
  }
  let statuses = await readTargetStatuses({ cluster: connection.cluster }, query);
  // With a targets file (repositories, environments) and a token: each target's last GitHub Deployment.
  const token = io.env.githubToken;
  if (fileTargets.length > 0 && token) {
    const baseUrl = io.env.githubApiUrl;
    const provider = createGitHubClientProvider({
      config: { tokenRef: "cli:PULLBRIDGE_GITHUB_TOKEN", ...(baseUrl ? { baseUrl } : {}) },
      secrets: { read: async () => token },
    });
    const { octokit } = await provider.forInstallation(undefined, undefined);
    statuses = await withLastDeployments(createGitHubDeploymentReporter({ octokit }), statuses, fileTargets);
  }
  if (args.output === "json") io.stdout(`${JSON.stringify(statusJson(statuses), null, 2)}\n`);
  else io.stdout(`${formatStatusTable(statuses, io.now(), p)}\n`);
  return statuses.some((s) => s.state === "error") ? EXIT.error : EXIT.ok;
}

async function imagesPlanCommand(run: Run): Promise<number> {
  const { args, io, p } = run;
  if (args.positionals.length > 2) throw new ConfigError("images plan", "expects at most one directory");
  const dir = resolve(io.cwd, args.positionals[1] ?? ".");
  const targetsFile = args.targets ?? DEFAULT_TARGETS_FILE;
  const config = parseTargetsYaml(await readTargetsFile(targetsFile, io.cwd), targetsFile);
  const eventJson =
    args.event === undefined ? undefined : await readFile(resolve(io.cwd, args.event), "utf8");
  const decision = readImageEvent({ eventJson, image: args.image });
  // The checkout is the repository root: keys are repo-relative paths, as in the Git data API.
  const tree = await readDirectoryTree(dir, { paths: ["."] });
  const decoder = new TextDecoder();
  const files = new Map(
    [...tree]
      .filter(([path]) => isImageAutomationFile(path))
      .map(([path, bytes]) => [path, decoder.decode(bytes)]),
  );
  const plan = planImagesCommand({ decision, targets: config.targets, files, now: io.now() });
  io.stdout(
    args.output === "json" ? `${JSON.stringify(imagesPlanJson(plan), null, 2)}\n` : formatImagesPlan(plan, p),
  );
  return plan.kind === "planned" && plan.jobs.some((j) => j.files.length > 0) ? EXIT.changes : EXIT.ok;
}

async function validateCommand(run: Run): Promise<number> {
  const { args, io, p } = run;
  const file = args.positionals[1] ?? args.targets ?? DEFAULT_TARGETS_FILE;
  if (args.positionals.length > 2) throw new ConfigError("targets validate", "expects at most one file");
  if (!existsSync(resolve(io.cwd, file))) throw new ConfigError(file, "no such file");
  const result = validateTargets({ text: await readTargetsFile(file, io.cwd), file });
  if (args.output === "json") {
    io.stdout(
      `${JSON.stringify({ valid: true, file, targets: result.targets, clusters: result.clusters, warnings: result.warnings }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  const clusters = Object.keys(result.clusters).length;
  io.stdout(
    `${p.green("valid")}: ${file} — ${result.targets.length} target(s), ${clusters} cluster(s)\n\n${formatTable(
      ["TARGET", "REPO", "BRANCH", "PATH", "CLUSTER", "NAMESPACE", "PRUNE", "DRIFT", "SCHEDULED", "PREVIEW"],
      result.targets.map((t) => [
        t.name,
        t.repo,
        t.branch,
        t.path,
        t.cluster,
        t.namespace,
        String(t.prune),
        t.drift,
        String(t.scheduled),
        String(t.preview),
      ]),
    )}\n`,
  );
  for (const warning of result.warnings) io.stderr(`${p.yellow(`warning: ${warning}`)}\n`);
  return EXIT.ok;
}

/** `pullbridge inventory repair`: rebuilds a target's damaged ApplySet parent (lib/app/repair-inventory-command.ts). */
async function repairCommand(run: Run): Promise<number> {
  const { args, io, p } = run;
  if (args.positionals.length > 1) throw new ConfigError("inventory repair", "takes no directory");
  if (args.target === undefined)
    throw new ConfigError("--target", "inventory repair needs the target to repair");
  const connection = await connect(run);
  const target =
    args.targets === undefined
      ? adHocTarget({ name: args.target, namespace: args.namespace ?? connection.namespace ?? "default" })
      : selectTarget(
          parseTargetsYaml(await readTargetsFile(args.targets, io.cwd), args.targets),
          args.target,
          args.targets,
        );
  const repair = await repairInventory(
    { cluster: connection.cluster, toolingVersion: PULLBRIDGE_VERSION },
    { target, dryRun: args.dryRun },
  );
  if (args.output === "json") io.stdout(`${JSON.stringify(repair, null, 2)}\n`);
  else io.stdout(`${formatInventoryRepair(repair, p)}\n`);
  return repair.action === "would-write" ? EXIT.changes : EXIT.ok;
}
