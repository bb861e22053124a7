/**
 * The preview use case's decisions before any cluster work — supersede, scope, best-effort
 * lookups — and the metrics each outcome emits, with in-memory ports.
 */
import { describe, expect, it } from "vitest";
import { runJob, type WorkerDeps } from "../../../lib/app/run-job.ts";
import { parseTargetsConfig } from "../../../lib/config/targets.ts";
import { SourceError } from "../../../lib/errors.ts";
import type { JobGitHub } from "../../../lib/github/job-github-ports.ts";
import type { FinishReport, PendingReport } from "../../../lib/reporting/commit-reporter.ts";
import {
  type ChangedPaths,
  DEFAULT_SOURCE_LIMITS,
  type GitSource,
  type SourceTree,
} from "../../../lib/source/git-source.ts";
import type { Log } from "../../../lib/telemetry/log.ts";
import { PreviewMetric, SyncMetric } from "../../../lib/telemetry/metric-names.ts";
import { sha } from "../../factories/webhook.ts";
import { aPreviewJob } from "../../factories/webhook-jobs.ts";

const HEAD = sha("pr-head");
const NEWER = sha("pr-newer");
const NOW = new Date("2025-11-22T10:00:05.000Z");

type Answer<T> = T | Error;

/** A GitSource answering from fixed values, recording what it was asked. */
function fakeSource(answers: {
  head?: Answer<string | undefined>;
  changed?: Answer<ChangedPaths>;
  tree?: SourceTree;
}) {
  const calls: string[] = [];
  const answer = async <T>(value: Answer<T>): Promise<T> => {
    if (value instanceof Error) throw value;
    return value;
  };
  const source: GitSource = {
    headSha: async () => {
      calls.push("headSha");
      return HEAD;
    },
    fetchTree: async () => {
      calls.push("fetchTree");
      return answers.tree ?? new Map();
    },
    changedPaths: async () => {
      calls.push("changedPaths");
      return answer(answers.changed ?? { paths: ["deploy/app.yaml"], complete: true });
    },
    pullRequestHead: async () => {
      calls.push("pullRequestHead");
      return answer("head" in answers ? answers.head : HEAD);
    },
    commitVerification: async () => {
      calls.push("commitVerification");
      return { verified: false, reason: "unsigned" };
    },
    listDirectories: async () => {
      calls.push("listDirectories");
      return { directories: [] };
    },
  };
  return { source, calls };
}

function recordingReporter() {
  const pending: PendingReport[] = [];
  const finished: FinishReport[] = [];
  return {
    pending,
    finished,
    reporter: {
      checkRuns: true,
      pending: async (r: PendingReport) => {
        pending.push(r);
      },
      finish: async (r: FinishReport) => {
        finished.push(r);
        return { warnings: [] };
      },
    },
  };
}

function recordingLog(): Log & { lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function previewWorld(source: GitSource) {
  const { reporter, pending, finished } = recordingReporter();
  const log = recordingLog();
  const connects: string[] = [];
  const github: JobGitHub = { source, reporter, mode: "app" };
  const deps: WorkerDeps = {
    config: parseTargetsConfig({
      version: 1,
      clusters: { test: { type: "kubeconfig", source: "file:/nonexistent" } },
      targets: [
        {
          name: "web",
          repo: "Codertocat/Hello-World",
          branch: "master",
          path: "deploy",
          cluster: "test",
          namespace: "web",
          preview: true,
        },
      ],
    }),
    github: async () => github,
    connectCluster: async (_target, purpose) => {
      connects.push(purpose);
      throw new Error("no cluster in unit tests");
    },
    logger: log,
    now: () => NOW,
    toolingVersion: "0.0.0-test",
    sourceLimits: DEFAULT_SOURCE_LIMITS,
  };
  return { deps, pending, finished, log, connects };
}

const names = (metrics: ReadonlyArray<{ name: string; value: number }>) =>
  metrics.map((m) => [m.name, m.value]);

/** A tree whose only manifest cannot be parsed: the preview fails before it needs a cluster. */
const brokenTree: SourceTree = new Map([
  ["deploy/app.yaml", new TextEncoder().encode("apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n")],
]);

describe("runJob (preview)", () => {
  it("finishes a superseded head as success without fetching or planning, and counts no preview", async () => {
    // Prepare
    const { source, calls } = fakeSource({ head: NEWER });
    const world = previewWorld(source);

    // Act
    const report = await runJob(world.deps, aPreviewJob());

    // Assess
    expect(report.outcome).toBe("preview-superseded");
    expect(calls).toEqual(["pullRequestHead"]);
    expect(world.pending).toEqual([]);
    expect(world.finished).toEqual([
      expect.objectContaining({
        kind: "preview",
        sha: HEAD,
        state: "success",
        description: `superseded by ${NEWER.slice(0, 7)}`,
      }),
    ]);
    expect(world.connects).toEqual([]);
    expect(names(report.metrics)).toEqual([[SyncMetric.JobAge, 5000]]);
  });

  it("posts nothing and counts no preview when the pull request touches nothing under the target path", async () => {
    // Prepare
    const { source, calls } = fakeSource({
      changed: { paths: ["README.md", "deploy-old/x.yaml"], complete: true },
    });
    const world = previewWorld(source);

    // Act
    const report = await runJob(world.deps, aPreviewJob());

    // Assess
    expect(report.outcome).toBe("skipped");
    expect(calls).toEqual(["pullRequestHead", "changedPaths"]);
    expect(world.pending).toEqual([]);
    expect(world.finished).toEqual([]);
    expect(names(report.metrics)).toEqual([[SyncMetric.JobAge, 5000]]);
  });

  it("previews anyway when the changed-file list is capped", async () => {
    // Prepare
    const { source, calls } = fakeSource({
      changed: { paths: ["README.md"], complete: false },
      tree: brokenTree,
    });
    const world = previewWorld(source);

    // Act
    const report = await runJob(world.deps, aPreviewJob());

    // Assess
    expect(calls).toEqual(["pullRequestHead", "changedPaths", "fetchTree"]);
    expect(report.outcome).toBe("preview-rejected");
  });

  it("previews anyway, with a warning, when a lookup fails for good (e.g. no pull-request permission)", async () => {
    // Prepare
    const { source, calls } = fakeSource({
      head: new SourceError("reading pull request: not found", { retryable: false }),
      changed: new SourceError("comparing: not found", { retryable: false }),
      tree: brokenTree,
    });
    const world = previewWorld(source);

    // Act
    const report = await runJob(world.deps, aPreviewJob());

    // Assess
    expect(calls).toEqual(["pullRequestHead", "changedPaths", "fetchTree"]);
    expect(report.outcome).toBe("preview-rejected");
    expect(world.log.lines.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      "looking up the pull request head failed; previewing anyway",
      "listing the files the pull request changes failed; previewing anyway",
    ]);
  });

  it("returns the job to the queue when a lookup fails transiently", async () => {
    // Prepare
    const { source } = fakeSource({
      changed: new SourceError("comparing failed (HTTP 502)", { retryable: true }),
    });
    const world = previewWorld(source);

    // Act
    const attempt = runJob(world.deps, aPreviewJob());

    // Assess
    await expect(attempt).rejects.toThrow("HTTP 502");
    expect(world.pending).toEqual([]);
    expect(world.finished).toEqual([]);
  });

  it("counts a rejected preview as run and failed, with a failure annotated at the manifest", async () => {
    // Prepare
    const { source } = fakeSource({ tree: brokenTree });
    const world = previewWorld(source);

    // Act
    const report = await runJob(world.deps, aPreviewJob());

    // Assess
    expect(names(report.metrics)).toEqual([
      [SyncMetric.JobAge, 5000],
      [PreviewMetric.Run, 1],
      [PreviewMetric.Failed, 1],
    ]);
    expect(world.pending).toHaveLength(1);
    expect(world.finished).toEqual([
      expect.objectContaining({
        kind: "preview",
        state: "failure",
        annotations: [expect.objectContaining({ path: "deploy/app.yaml", level: "failure" })],
      }),
    ]);
    expect(world.connects).toEqual([]);
  });
});
