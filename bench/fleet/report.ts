/** The fleet benchmark's results and its BENCHMARKS.md section (today vs after, per phase). */
import type { FleetShape } from "./fleet-repo.ts";
import type { StateCounts } from "./state-store.ts";

/** One phase's cost, as measured (for `today`, over the sample; `scale` turns it into the fleet's). */
export type PhaseCost = {
  name: string;
  /** Fleet size ÷ targets the phase ran for (1 when it ran for the whole fleet). */
  scale: number;
  github: {
    requests: number;
    rateLimited: number;
    notModified: number;
    appJwt: number;
    archives: number;
    archiveBytes: number;
  };
  renders: number;
  workerMs: number;
  workerInvocations: number;
  webhookMs: number;
  driftMs: number;
  gbSeconds: number;
  cluster: { reads: number; writes: number; dryRuns: number };
  s3: StateCounts;
  wallMs: number;
};

export type Results = {
  variant: "today" | "after";
  date: string;
  machine: string;
  shape: FleetShape;
  sample: number;
  tarballBytes: number;
  phases: PhaseCost[];
};

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const mb = (bytes: number) => `${(bytes / 1e6).toLocaleString("en-US", { maximumFractionDigits: 1 })} MB`;

/** The phase's figures for the whole fleet (a sample's scaled, the drift function's own time not). */
function fleetOf(p: PhaseCost) {
  const s = p.scale;
  return {
    requests: p.github.requests * s,
    rateLimited: p.github.rateLimited * s,
    notModified: p.github.notModified * s,
    archives: p.github.archives * s,
    archiveBytes: p.github.archiveBytes * s,
    renders: p.renders * s,
    gbSeconds: p.gbSeconds * s,
    cluster: (p.cluster.reads + p.cluster.writes + p.cluster.dryRuns) * s,
    s3: (p.s3.get + p.s3.put + p.s3.list + p.s3.delete) * s,
    workerMs: p.workerMs * s,
  };
}

/** Rate-limited requests a month at one tick per `minutes`, a quiet fleet. */
function monthly(quiet: PhaseCost, minutes: number): number {
  return fleetOf(quiet).rateLimited * ((30 * 24 * 60) / minutes);
}

/** How long a tick takes at the default concurrency, from the measured handler time (item 4 of issue 26). */
function throughput(after: Results): string {
  const [cold, quiet] = after.phases;
  if (cold === undefined || quiet === undefined) return "";
  const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  return `Throughput: the quiet tick's drift checks took ${s(quiet.workerMs)} of worker time in ${int(quiet.workerInvocations)} batches run one at a time (the cold tick ${s(cold.workerMs)}), so at the default concurrency of 5 a quiet tick of ${int(after.shape.targets)} targets needs about ${s(quiet.workerMs / 5)} and a cold one ${s(cold.workerMs / 5)} — within the 10-minute interval on this loaded machine. \`DriftTickLag\` and its alarm say when a fleet stops fitting (docs/fleet-scale.md, "Throughput").`;
}

/** The section: per phase, today's row and after's row. */
export function renderSection(today: Results, after: Results): string {
  const rows: string[] = [];
  for (const [i, a] of after.phases.entries()) {
    const t = today.phases[i];
    for (const [label, p] of [
      ["today", t],
      ["after", a],
    ] as const) {
      if (p === undefined) continue;
      const f = fleetOf(p);
      const sampled =
        p.scale !== 1
          ? ` (${int(today.sample)} measured × ${(Math.round(p.scale * 10) / 10).toString()})`
          : "";
      rows.push(
        `| ${a.name} | ${label}${sampled} | ${int(f.requests)} | ${int(f.rateLimited)} (${int(f.notModified)} × 304) | ${int(f.archives)} / ${mb(f.archiveBytes)} | ${int(f.renders)} | ${f.gbSeconds.toFixed(0)} | ${int(f.cluster)} | ${int(f.s3)} |`,
      );
    }
  }
  const quietToday = today.phases[1];
  const quietAfter = after.phases[1];
  const limitMonth = 5000 * 24 * 30;
  const budgetLine = (p: PhaseCost | undefined, label: string) =>
    p === undefined
      ? ""
      : `| ${label} | ${int(monthly(p, 10))} | ${((monthly(p, 10) / limitMonth) * 100).toFixed(1)} % |`;
  return [
    `## Fleet: ${int(after.shape.targets)} targets in one ${after.shape.repoMb} MB monorepo (issue 26)`,
    "",
    `${int(after.shape.targets)} Kustomize overlays (\`apps/ns-<n>/app-<i>\`, each reading the shared base \`bases/web\`, two objects each) across ${after.shape.namespaces} namespaces of a real kube-apiserver (worker identity), in one repository of ${after.shape.repoMb} MB (incompressible assets beside the manifests: its tarball weighs ${mb(after.tarballBytes || today.tarballBytes)}). The real webhook, drift and worker handlers (local mode's composition) on fauxqs, moto as the state bucket, the OpenAPI-checked GitHub fake counting requests by GitHub's rate-limit rules. Handler time is measured per invocation, one at a time (2 shared cores): GB-s = Σ handler ms × deployed memory (worker 1,536 MB, webhook and drift 256 MB).`,
    "",
    `- today: ${today.date}, ${today.machine}. Every drift job before issue 26 does the same work whatever the other targets do, so the ticks ran for ${int(today.sample)} targets of the ${int(today.shape.targets)} configured and are scaled to the fleet (×${(today.shape.targets / today.sample).toFixed(0)}); the push row is measured as it is.`,
    `- after: ${after.date}, ${after.machine}. Every row is the whole fleet.`,
    "",
    "| phase | code | GitHub requests | counted against the rate limit | tarballs / bytes | renders | Lambda GB-s | cluster requests | S3 requests |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Projected GitHub budget, 1,000 targets, one tick every 10 minutes, no pushes (an installation's primary limit is 5,000 requests an hour, 3.6 M a month):",
    "",
    "| code | rate-limited requests a month | share of the limit |",
    "|---|---|---|",
    budgetLine(quietToday, "today"),
    budgetLine(quietAfter, "after"),
    "",
    throughput(after),
    "",
    "How Argo CD and Flux spend for the same fleet, from their documentation: docs/fleet-scale.md, last section.",
    "",
    "Reproduce: `npm run bench:fleet` (after; `BENCH_TARGETS`, `BENCH_NAMESPACES`, `BENCH_REPO_MB` to vary). Today's row: see bench/README.md (`BENCH_VARIANT=today` on a checkout of the commit before issue 26).",
  ].join("\n");
}
