/** Server-side request counts from kube-apiserver's `apiserver_request_total`, to cross-check client counts. */
import type { KubeTransport } from "../../lib/cluster/adapters/kube-http-transport.ts";

export type ServerCounts = { reads: number; writes: number; dryRuns: number; other: number };

/** The resources the benchmark touches (plus discovery, which the server counts as `resource=""`, `subresource=api|apis`). */
const BENCH_RESOURCES = new Set(["configmaps", "secrets", "services", "serviceaccounts", "deployments"]);

type Sample = { labels: Record<string, string>; value: number };

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const close = line.lastIndexOf("}");
    const labels: Record<string, string> = {};
    for (const m of line.slice("apiserver_request_total{".length, close).matchAll(/(\w+)="([^"]*)"/g)) {
      if (m[1] !== undefined) labels[m[1]] = m[2] ?? "";
    }
    samples.push({ labels, value: Number(line.slice(close + 1).trim()) });
  }
  return samples;
}

/** Reads `/metrics` (admin transport) and returns the raw samples keyed by their label set. */
export async function scrape(admin: KubeTransport): Promise<Map<string, Sample>> {
  const response = await admin.send({
    method: "GET",
    path: "/metrics",
    accept: "text/plain",
    countAs: "read",
  });
  const out = new Map<string, Sample>();
  for (const s of parse(String(response.body))) out.set(JSON.stringify(s.labels), s);
  return out;
}

/** Requests the server counted between two scrapes, classified like the client counter (WATCHes excluded). */
export function countBetween(before: Map<string, Sample>, after: Map<string, Sample>): ServerCounts {
  const counts: ServerCounts = { reads: 0, writes: 0, dryRuns: 0, other: 0 };
  for (const [key, sample] of after) {
    const delta = sample.value - (before.get(key)?.value ?? 0);
    if (delta <= 0) continue;
    const { verb = "", resource = "", subresource = "", dry_run: dryRun = "" } = sample.labels;
    const discovery = resource === "" && (subresource === "api" || subresource === "apis");
    if (!BENCH_RESOURCES.has(resource) && !discovery) {
      if (resource === "" && subresource.startsWith("openapi")) counts.other += delta;
      continue;
    }
    if (verb === "WATCH") continue;
    if (verb === "GET" || verb === "LIST") counts.reads += delta;
    else if (dryRun !== "") counts.dryRuns += delta;
    else counts.writes += delta;
  }
  return counts;
}
