/**
 * `npm run bench:render`: what rendering adds to a sync, through the worker's own path (the
 * process adapter and the render phase, lib/render): render time of a 25-object Kustomize
 * overlay and of a 50-object Helm chart (medians of BENCH_REPEAT, default 9), the helper's
 * start-up cost (a trivial render: spawn + Go runtime + library init, paid on every render since
 * each is its own process — the "added cold start"), and the Lambda package cost (size of the
 * linux/arm64 binary, raw and zipped). Writes the "Rendering" section of BENCHMARKS.md.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { deflateRawSync } from "node:zlib";
import { targetSchema } from "../../lib/config/targets.ts";
import { createProcessRenderer } from "../../lib/render/adapters/process-renderer.ts";
import { renderDesired } from "../../lib/render/render-desired.ts";
import { writeBenchmarksSection } from "../benchmarks-file.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const REPEAT = Number(process.env.BENCH_REPEAT ?? 9);
const binDir = execFileSync("bash", [join(ROOT, "infra/renderer/build.sh")], { encoding: "utf8" })
  .trim()
  .split("\n")
  .pop() as string;
const renderer = createProcessRenderer({ binaryPath: join(binDir, "pullbridge-renderer") });
const encode = (text: string) => new TextEncoder().encode(text);

/** 25 objects: a base of 8 Deployments + 8 Services + 8 ServiceAccounts, an overlay adding a generated ConfigMap, patches, images, prefix, labels. */
function overlayTree(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const resources: string[] = [];
  for (let i = 0; i < 8; i++) {
    files.set(
      `apps/bench/base/app-${i}.yaml`,
      encode(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
spec:
  selector:
    matchLabels: { app: app-${i} }
  template:
    metadata:
      labels: { app: app-${i} }
    spec:
      serviceAccountName: app-${i}
      containers:
        - name: app
          image: nginx:1.27
          envFrom: [{ configMapRef: { name: settings } }]
---
apiVersion: v1
kind: Service
metadata:
  name: app-${i}
spec:
  selector: { app: app-${i} }
  ports: [{ port: 80 }]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app-${i}
`),
    );
    resources.push(`app-${i}.yaml`);
  }
  files.set(
    "apps/bench/base/kustomization.yaml",
    encode(
      `resources:\n${resources.map((r) => `  - ${r}`).join("\n")}\nconfigMapGenerator:\n  - name: settings\n    literals: [LOG_LEVEL=info]\n`,
    ),
  );
  files.set(
    "apps/bench/overlays/prod/kustomization.yaml",
    encode(`resources: [../../base]
namePrefix: prod-
labels: [{ pairs: { env: prod } }]
images: [{ name: nginx, newTag: "1.27.3" }]
replicas: [{ name: app-0, count: 3 }]
patches:
  - target: { kind: Deployment }
    patch: |-
      - { op: add, path: /metadata/annotations, value: { team: bench } }
`),
  );
  return files;
}

function chartTree(): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const dir = join(ROOT, "test/fixtures/render/repo/charts/many");
  for (const rel of ["Chart.yaml", "values.yaml", "templates/configmaps.yaml"]) {
    files.set(`charts/many/${rel}`, readFileSync(join(dir, rel)));
  }
  return files;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function time(run: () => Promise<number>): Promise<{ ms: number; objects: number }> {
  await run(); // warm the page cache: Lambda's first exec reads the binary from the package too
  const samples: number[] = [];
  let objects = 0;
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    objects = await run();
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), objects };
}

const target = (path: string, name: string) =>
  targetSchema.parse({ name, repo: "acme/bench", cluster: "bench", namespace: "bench", path });

const overlay = await time(async () => {
  const out = await renderDesired(
    { renderer },
    { files: overlayTree(), target: target("apps/bench/overlays/prod", "overlay") },
  );
  return out.desired.length;
});
const chart = await time(async () => {
  const out = await renderDesired(
    { renderer },
    { files: chartTree(), target: target("charts/many", "many") },
  );
  return out.desired.length;
});
const trivial = await time(async () => {
  const out = await renderer.render({
    files: new Map([["t/kustomization.yaml", encode("resources: []\n")]]),
    path: "t",
    engine: "kustomize",
  });
  return out.objects.length;
});
const armBinary = join(binDir, "pullbridge-renderer-linux-arm64");
const rawBytes = statSync(armBinary).size;
const zippedBytes = deflateRawSync(readFileSync(armBinary), { level: 9 }).byteLength;
const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
const { cpus: cpuList, loadavg } = await import("node:os");
const cpus = cpuList();
const load = loadavg()[0]?.toFixed(1) ?? "?";

const section = `## Rendering

\`npm run bench:render\` (\`bench/render/run-render-bench.ts\`), through the worker's path: \`renderDesired\`
→ process adapter → \`pullbridge-renderer\` (one child process per render) → validated desired set.
Medians of ${REPEAT} runs after one warm-up, on this machine (${cpus.length} × ${cpus[0]?.model ?? "cpu"}, shared
with other jobs: 1-minute load average ${load} at the end of the run, so absolute numbers are
inflated and noisy; compare them with each other).

| What | Objects | Median |
| --- | ---: | ---: |
| Kustomize overlay (base of 24 + generated ConfigMap, prefix, labels, images, replicas, a JSON 6902 patch on 8 Deployments) | ${overlay.objects} | ${overlay.ms.toFixed(0)} ms |
| Helm chart (\`charts/many\`: 50 ConfigMaps from a range) | ${chart.objects} | ${chart.ms.toFixed(0)} ms |
| Helper start-up: an empty kustomization (spawn, Go runtime, library init, JSON in/out) | ${trivial.objects} | ${trivial.ms.toFixed(0)} ms |

- **Added cold start**: rendering is a child process per render, so the helper's start-up
  (row 3) is paid by every render of a rendered target, warm or cold Lambda; plain targets pay
  nothing (no process is started, nothing is loaded). On a cold Lambda the first exec also reads
  the binary from the package (page cache), which the warm-up run above excludes.
- **Package size**: \`pullbridge-renderer-linux-arm64\` is ${mb(rawBytes)} (stripped, \`-s -w\`),
  ${mb(zippedBytes)} deflated (what it adds to the worker's zip; Lambda's limit is 250 MB unzipped).
`;
writeBenchmarksSection("render", section);
process.stdout.write(section);
