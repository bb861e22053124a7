/**
 * Records the live objects the compaction tests use (test/fixtures/live/*.json): a realistic
 * Deployment, a custom resource and its CRD, applied by pullbridge's field manager to a real
 * kube-apiserver, with status written through the status subresource by another manager, then
 * read back — so the tests see managedFields and status exactly as the server writes them.
 * Usage: `node bench/sync/record-live-fixtures.ts` (starts and stops its own control plane).
 */

import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { clusterClientFromTransport } from "../../lib/cluster/adapters/kube-cluster-client.ts";
import { kubeConfigFromToken } from "../../lib/cluster/adapters/kube-config.ts";
import { createKubeTransport } from "../../lib/cluster/adapters/kube-http-transport.ts";
import type { ApiResource } from "../../lib/cluster/cluster-port.ts";
import type { KubeObject } from "../../lib/manifests/kube-object.ts";
import { ensureBinaries, startControlPlane } from "../../test/support/control-plane/control-plane.ts";
import { type CrdSpec, crdOf, customResourceOf, deploymentOf, statusFor } from "./realistic-fixture.ts";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test", "fixtures", "live");
const cp = await startControlPlane({ binDir: await ensureBinaries() });
try {
  const transport = await createKubeTransport({
    kubeConfig: kubeConfigFromToken({
      server: cp.server,
      caData: Buffer.from(cp.caPem).toString("base64"),
      token: cp.admin.token,
    }),
  });
  const cluster = clusterClientFromTransport(transport);
  let discovery = await cluster.discover();
  const resolve = (o: KubeObject): ApiResource => {
    const r = discovery.resolve(o);
    if (!r) throw new Error(`${o.kind} not served`);
    return r;
  };
  const namespace = "fixtures";
  const ns: KubeObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } };
  await cluster.apply({ resource: resolve(ns), object: ns, force: true, dryRun: false });
  const spec: CrdSpec = {
    kind: "Gizmo",
    plural: "gizmos",
    group: "fixtures.bench.pullbridge.dev",
    bytes: 20 * 1024,
    seed: 5,
  };
  const labels = { "app.kubernetes.io/part-of": "fixtures" };
  const crd = crdOf(spec, labels);
  await cluster.apply({ resource: resolve(crd), object: crd, force: false, dryRun: false });
  for (let i = 0; i < 100 && !discovery.resolve({ apiVersion: `${spec.group}/v1`, kind: spec.kind }); i++) {
    await setTimeout(100);
    discovery = await cluster.discover({ refresh: true });
  }
  const objects: Array<[string, KubeObject]> = [
    ["deployment", deploymentOf({ name: "web", namespace, labels, index: 1, revision: "r1" })],
    ["custom-resource", customResourceOf(spec, { name: "g1", namespace, labels, revision: "r1", seed: 9 })],
    ["crd", crd],
  ];
  for (const [name, desired] of objects) {
    const resource = resolve(desired);
    await cluster.apply({ resource, object: desired, force: false, dryRun: false });
    const status = statusFor(desired, new Date("2026-12-02T20:00:00Z"));
    if (status) {
      const base = resource.group
        ? `/apis/${resource.group}/${resource.version}`
        : `/api/${resource.version}`;
      await transport.send({
        method: "PATCH",
        path: `${base}/namespaces/${namespace}/${resource.resource}/${desired.metadata.name}/status`,
        query: { fieldManager: desired.kind === "Deployment" ? "kube-controller-manager" : "bench-operator" },
        contentType: "application/merge-patch+json",
        body: { status },
        countAs: "write",
      });
    }
    const live = await cluster.get({
      resource,
      namespace: desired.metadata.namespace,
      name: desired.metadata.name,
    });
    const recordedFrom = `kube-apiserver ${cp.version}: applied by pullbridge (server-side apply), status written through the status subresource by another manager`;
    await writeFile(
      join(out, `${name}.json`),
      `${JSON.stringify({ recordedFrom, desired, live }, null, 2)}\n`,
    );
  }
} finally {
  await cp.stop();
}
