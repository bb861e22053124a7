/** The benchmark fixture: N objects spread evenly over five kinds, as DesiredObjects and as YAML for kubectl. */
import { stringify } from "yaml";
import type { DesiredObject, KubeObject } from "../../lib/manifests/kube-object.ts";

export const KINDS = ["ConfigMap", "Secret", "Service", "ServiceAccount", "Deployment"] as const;

function objectFor(
  kind: (typeof KINDS)[number],
  namespace: string,
  index: number,
  revision: string,
): KubeObject {
  const name = `${kind.toLowerCase()}-${String(index).padStart(5, "0")}`;
  const labels = { app: name, "bench.pullbridge.dev/revision": revision };
  switch (kind) {
    case "ConfigMap":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, namespace, labels },
        data: {
          "settings.yaml": `mode: production\nreplicas: ${index % 7}\nrevision: ${revision}\n`,
          LOG_LEVEL: "info",
        },
      };
    case "Secret":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, namespace, labels },
        type: "Opaque",
        stringData: { username: `svc-${index}`, password: `pw-${index}-${revision}` },
      };
    case "Service":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, namespace, labels },
        // Headless: the test control plane's service CIDR is a /24 and could not allocate 1,000 IPs.
        spec: {
          clusterIP: "None",
          selector: { app: name },
          ports: [{ name: "http", port: 80, targetPort: 8080 }],
        },
      };
    case "ServiceAccount":
      return {
        apiVersion: "v1",
        kind,
        metadata: { name, namespace, labels },
        automountServiceAccountToken: false,
      };
    case "Deployment":
      return {
        apiVersion: "apps/v1",
        kind,
        metadata: { name, namespace, labels },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              serviceAccountName: `serviceaccount-${String(index).padStart(5, "0")}`,
              containers: [
                {
                  name: "app",
                  image: `registry.example.com/app:${revision}`,
                  args: ["--port", "8080"],
                  ports: [{ containerPort: 8080, name: "http" }],
                  env: [
                    { name: "MODE", value: "production" },
                    { name: "INDEX", value: String(index) },
                  ],
                  resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                },
              ],
            },
          },
        },
      };
  }
}

/**
 * `total` objects (total/5 per kind) in `namespace`. Objects whose per-kind index is below
 * `changedPerKind` get `changedRevision`, the rest `baseRevision` — so "10 of 1,000 changed" is
 * `changedPerKind: 2`.
 */
export function generateFixture(options: {
  namespace: string;
  total: number;
  baseRevision: string;
  changedPerKind?: number;
  changedRevision?: string;
}): KubeObject[] {
  const perKind = Math.floor(options.total / KINDS.length);
  const objects: KubeObject[] = [];
  for (const kind of KINDS) {
    for (let i = 0; i < perKind; i++) {
      const changed = i < (options.changedPerKind ?? 0);
      objects.push(
        objectFor(
          kind,
          options.namespace,
          i,
          changed ? (options.changedRevision ?? "x") : options.baseRevision,
        ),
      );
    }
  }
  return objects;
}

/** As the manifest loader would hand them to the sync engine. */
export function asDesired(objects: readonly KubeObject[]): DesiredObject[] {
  return objects.map((object, i) => ({
    object,
    source: { file: "bench/fixture.yaml", document: i, line: 1, column: 1 },
  }));
}

/** A multi-document YAML stream for `kubectl apply -f`. */
export function asYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join("---\n");
}
