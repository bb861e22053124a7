/**
 * `npm start`: local mode's composition root. Picks the cluster (kubeconfig or local control
 * plane), the source (local git or GitHub with a token) and the targets (a file, or the demo),
 * starts the bridge, prints how to use it, and stops everything on Ctrl-C.
 */

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { formatCliError } from "../../lib/cli/format-cli-error.ts";
import { createPalette, shouldUseColour } from "../../lib/cli/palette.ts";
import { parseTargetsYaml, type TargetsFile } from "../../lib/config/targets.ts";
import { disableMetricsOutputUnlessSet, readLocalEnv } from "../../lib/config/terminal-env.ts";
import { describeError } from "../../lib/errors.ts";
import { isPathWithin } from "../../lib/is-path-within.ts";
import { createProcessRenderer } from "../../lib/render/adapters/process-renderer.ts";
import { PULLBRIDGE_VERSION } from "../../lib/sync/tooling-version.ts";
import { findKubeconfig } from "../cli/kube-connection.ts";
import {
  DEMO_NAMESPACE,
  DEMO_REPO,
  demoTargets,
  ensureDemoRepository,
  ensureNamespace,
} from "./demo-repository.ts";
import { LOCAL_HELP, type LocalArgs, parseLocalArgs } from "./local-args.ts";
import { kubeconfigCluster, type LocalCluster, startLocalControlPlane } from "./local-cluster.ts";
import { localPaths, removeLocalState, writeLocalState } from "./local-state.ts";
import { type LocalStateStore, startLocalStateStore } from "./local-state-store.ts";
import { type LocalBridge, type LocalSource, startLocalBridge } from "./start-local-bridge.ts";

disableMetricsOutputUnlessSet();

const env = readLocalEnv();
const p = createPalette(shouldUseColour({ isTty: process.stdout.isTTY === true, env }));
const say = (text: string) => process.stdout.write(`${text}\n`);
const cleanups: Array<() => Promise<void>> = [];

async function stopAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

function fail(error: unknown): void {
  for (const line of formatCliError(error)) process.stderr.write(`${p.red(line)}\n`);
  // The control plane and the servers are stopped before the process exits with the error.
  void stopAll().finally(() => process.exit(1));
}

/** A path as the user would type it: relative inside the working directory, absolute outside. */
function shown(path: string): string {
  return isPathWithin(process.cwd(), path) ? relative(process.cwd(), path) || "." : path;
}

async function chooseCluster(args: LocalArgs, demo: boolean): Promise<LocalCluster | undefined> {
  const controllers = { controllers: args.health };
  if (args.controlPlane) return await startLocalControlPlane(say, env, controllers);
  if (!demo) return undefined;
  const location = findKubeconfig({ kubeconfig: args.kubeconfig, env });
  if (location === undefined) {
    say(p.dim("No kubeconfig ($KUBECONFIG, ~/.kube/config): using a local control plane instead."));
    return await startLocalControlPlane(say, env, controllers);
  }
  return await kubeconfigCluster(location.path, args.context);
}

function chooseSource(args: LocalArgs, targets: TargetsFile, demoRepoDir: string | undefined): LocalSource {
  if (demoRepoDir !== undefined) return { kind: "local", directories: { [DEMO_REPO]: demoRepoDir } };
  const repos = [...new Set(targets.targets.map((t) => t.repo))];
  if (Object.keys(args.repos).length > 0) {
    const missing = repos.filter((r) => args.repos[r] === undefined);
    if (missing.length > 0)
      throw new Error(
        `--repo: no local directory for ${missing.join(", ")} (pass --repo ${missing[0]}=<dir>)`,
      );
    return {
      kind: "local",
      directories: Object.fromEntries(Object.entries(args.repos).map(([r, d]) => [r, resolve(d)])),
    };
  }
  const token = env.githubToken;
  if (token === undefined || token === "") {
    throw new Error(
      `the targets read ${repos.join(", ")} from GitHub: set PULLBRIDGE_GITHUB_TOKEN, or read local checkouts with --repo ${repos[0]}=<dir>`,
    );
  }
  return { kind: "github", token, apiUrl: env.githubApiUrl };
}

/** Local mode's health checks: sooner and closer together than in AWS (a person is watching). */
const LOCAL_HEALTH_BACKOFF = { initialDelaySeconds: 2, factor: 2, maxDelaySeconds: 10 };

/** The banner's health line. */
function healthLine(args: LocalArgs, on: boolean): string {
  if (on) {
    return `pending after the apply, success once healthy (health queue, first check after ${LOCAL_HEALTH_BACKOFF.initialDelaySeconds}s; --no-health: success once applied)`;
  }
  if (!args.health) return "off (--no-health): success once applied";
  return "off: this control plane has no controllers, so nothing would become ready; success once applied (build them once: bash test/support/control-plane/build-rolling-binaries.sh, ≈ 25 min)";
}

function printBanner(
  bridge: LocalBridge,
  options: {
    health: string;
    cluster: string;
    source: LocalSource;
    secret: string;
    secretGenerated: boolean;
    args: LocalArgs;
    demoRepoDir: string | undefined;
    /** ` -- --state-dir <dir>` when not the default, so the printed command finds this bridge. */
    stateDirFlag: string;
    /** The banner's state-store line. */
    store: string;
  },
) {
  const { source, args } = options;
  const lines = [
    "",
    p.bold(`pullbridge ${PULLBRIDGE_VERSION} — local mode`),
    `  cluster   ${options.cluster}`,
    `  queue     fauxqs ${bridge.sqsEndpoint}: ${bridge.queueUrl.split("/").pop()} → ${bridge.dlqUrl.split("/").pop()} after 5 receives`,
    source.kind === "local"
      ? `  source    local git: ${Object.entries(source.directories)
          .map(([r, d]) => `${r} → ${shown(d)}`)
          .join(", ")}`
      : `  source    GitHub API${source.apiUrl ? ` (${source.apiUrl})` : ""} with PULLBRIDGE_GITHUB_TOKEN`,
    source.kind === "local"
      ? "  statuses  printed here (with PULLBRIDGE_GITHUB_TOKEN and --targets they are posted to GitHub)"
      : "  statuses  posted to GitHub as commit statuses (a token cannot create check runs)",
    `  health    ${options.health}`,
    `  state     ${options.store}`,
    `  drift     ${args.driftInterval > 0 ? `every ${args.driftInterval}s (--drift-interval)` : "off (--drift-interval 0)"}`,
    "",
    p.bold("Targets:"),
    ...bridge.targets.targets.map(
      (t) =>
        `  ${p.bold(t.name)}  ${t.repo}@${t.branch}:${t.path} → cluster ${t.cluster}, namespace ${t.namespace} (prune: ${t.prune}, drift: ${t.drift})`,
    ),
    "",
    `${p.bold("Webhook:")}  POST ${bridge.webhookUrl}`,
    `${p.bold("Secret:")}   ${options.secret}${options.secretGenerated ? p.dim("  (generated for this run — local only; fix it with --webhook-secret or PULLBRIDGE_WEBHOOK_SECRET)") : ""}`,
    "",
    p.bold("Send a test delivery:"),
  ];
  if (options.demoRepoDir !== undefined) {
    const file = `${shown(options.demoRepoDir)}/deploy/configmap.yaml`;
    lines.push(
      `  sed -i 's/color: blue/color: green/' ${file}`,
      `  npm run send-push${options.stateDirFlag}          # commits your edits in the demo repository and posts a signed push`,
    );
  } else if (source.kind === "local") {
    lines.push(
      `  npm run send-push -- --repo <owner/name>${options.stateDirFlag.replace(" --", "")}   # commits edits in that checkout and posts a signed push for its branch head`,
    );
  } else {
    lines.push(
      `  gh webhook forward --repo=<owner/name> --events=push,pull_request --url=${bridge.webhookUrl} --secret=<secret>`,
      "  then push to a tracked branch on GitHub",
    );
  }
  lines.push(
    "  or a signed ping by hand:",
    `    body='{"zen":"Keep it logically awesome.","hook_id":1}'`,
    `    curl -sS ${bridge.webhookUrl} -H 'content-type: application/json' -H 'x-github-event: ping' \\`,
    `      -H "x-github-delivery: $(date +%s)" \\`,
    `      -H "x-hub-signature-256: sha256=$(printf %s "$body" | openssl dgst -sha256 -hmac '${options.secret}' -r | cut -d' ' -f1)" \\`,
    `      --data-binary "$body"`,
    "",
    p.dim("Ctrl-C stops everything."),
    "",
  );
  say(lines.join("\n"));
}

async function main(): Promise<void> {
  let args: LocalArgs;
  try {
    args = parseLocalArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n\n${LOCAL_HELP}`);
    process.exit(1);
  }
  if (args.help) {
    say(LOCAL_HELP);
    return;
  }
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      say(p.dim("\nstopping…"));
      void stopAll().finally(() => process.exit(0));
    });
  }

  const demo = args.targets === undefined;
  const paths = localPaths(args.stateDir === undefined ? undefined : resolve(args.stateDir));
  // moto starts (or installs, the first time) while the cluster comes up; if it cannot, local mode
  // runs without a store and says why, rather than not at all.
  const storeStarting = args.store
    ? startLocalStateStore(say).then(
        (started) => {
          if ("store" in started) cleanups.push(() => started.store.stop());
          return started;
        },
        (error: unknown) => ({ unavailable: `moto did not start: ${describeError(error)}` }),
      )
    : undefined;
  const cluster = await chooseCluster(args, demo);
  if (cluster?.controlPlane) {
    const cp = cluster.controlPlane;
    cleanups.push(() => cp.stop());
  }

  let targets: TargetsFile;
  let demoRepoDir: string | undefined;
  if (demo && cluster) {
    demoRepoDir = paths.demoRepo;
    const { created } = await ensureDemoRepository(demoRepoDir);
    say(
      p.dim(
        `${created ? "Created" : "Reusing"} the demo repository ${shown(demoRepoDir)} (target "demo", path deploy/).`,
      ),
    );
    targets = demoTargets({ kubeconfig: cluster.kubeconfig, context: cluster.context });
    const client = (await kubeconfigCluster(cluster.kubeconfig, cluster.context)).client;
    if ((await ensureNamespace(client, DEMO_NAMESPACE)) === "created")
      say(p.dim(`Created namespace ${DEMO_NAMESPACE} for the demo target.`));
  } else {
    const file = args.targets ?? "";
    targets = parseTargetsYaml(await readFile(file, "utf8"), file);
    if (cluster) {
      // --control-plane: every cluster of the file becomes the local control plane.
      const local = { type: "kubeconfig" as const, source: `file:${cluster.kubeconfig}` };
      targets = {
        ...targets,
        clusters: Object.fromEntries(Object.keys(targets.clusters).map((k) => [k, local])),
      };
    }
  }
  const source = chooseSource(args, targets, demoRepoDir);
  const given = args.webhookSecret ?? env.webhookSecret;
  const secret = given && given !== "" ? given : randomBytes(16).toString("hex");

  const started = await storeStarting;
  const store: LocalStateStore | undefined = started && "store" in started ? started.store : undefined;
  let storeLine = "off (--no-store)";
  if (store)
    storeLine = `moto ${store.endpoint}: bucket ${store.bucket} (S3, versioned; kept only while this runs)`;
  if (started && "unavailable" in started) {
    storeLine = `off (${started.unavailable})`;
    say(
      p.yellow(
        `No state store: ${started.unavailable}. Running without it (features that keep state in S3 are off).`,
      ),
    );
  }

  // A cluster without controllers never rolls anything out: waiting there would only time out.
  const health = args.health && (cluster?.controllers ?? true);
  const bridge = await startLocalBridge({
    targets,
    source,
    health: health ? { backoff: LOCAL_HEALTH_BACKOFF } : undefined,
    webhookSecret: secret,
    port: args.port,
    host: args.host,
    driftIntervalSeconds: args.driftInterval,
    logLevel: args.logLevel,
    defaultKubeconfigPath: findKubeconfig({ kubeconfig: args.kubeconfig, env })?.path,
    region: env.awsRegion,
    renderer: createProcessRenderer({ binaryPath: env.PULLBRIDGE_RENDERER_PATH }),
    stateStore: store && { endpoint: store.endpoint, bucket: store.bucket },
  }).catch((error: unknown) => {
    if (error instanceof Error && "code" in error && error.code === "EADDRINUSE") {
      throw new Error(
        `port ${args.port} is in use (pass --port 0 for any free port, or stop the other bridge)`,
      );
    }
    throw error;
  });
  cleanups.push(() => bridge.close());
  await writeLocalState(
    {
      pid: process.pid,
      webhookUrl: bridge.webhookUrl,
      webhookSecret: secret,
      targets: targets.targets.map((t) => ({ name: t.name, repo: t.repo, branch: t.branch, path: t.path })),
      directories: source.kind === "local" ? { ...source.directories } : {},
      delivered: {},
    },
    paths.stateFile,
  );
  cleanups.push(() => removeLocalState(paths.stateFile));

  printBanner(bridge, {
    health: healthLine(args, health),
    cluster: cluster?.description ?? "per target, from the targets file",
    source,
    secret,
    secretGenerated: !(given && given !== ""),
    args,
    demoRepoDir,
    stateDirFlag: args.stateDir === undefined ? "" : ` -- --state-dir ${shown(paths.dir)}`,
    store: storeLine,
  });
  if (args.driftInterval > 0) {
    // The first scheduled run syncs every target to its branch head right away.
    const { queued } = await bridge.runDriftSchedule();
    say(p.dim(`Initial sync queued for ${queued.join(", ") || "no scheduled target"}.`));
  }
}

main().catch(fail);
