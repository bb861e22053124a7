/**
 * Objects with the shapes and sizes users actually sync, for the memory and latency benchmarks:
 * Deployments with several containers, probes, resources, volumes and affinity; ConfigMaps of a
 * few KB with some of tens of KB; CustomResourceDefinitions of 100–500 KB with deep,
 * documented schemas (like operator bundles ship) plus custom resources that use them.
 * Deterministic (seeded), so every run and both tools see the same bytes. The server adds the
 * rest of a real object's weight — managedFields, defaults, and the status the bench writes
 * through the status subresource (`statusFor`).
 */
import type { KubeObject } from "../../lib/manifests/kube-object.ts";

/** mulberry32: a tiny deterministic PRNG, so fixtures are identical run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "replica endpoint selector template volume mount secret config policy rule target backend " +
  "listener route weight timeout retry budget window threshold scrape interval label annotation " +
  "storage class capacity access mode claim snapshot schedule retention bucket region tenant " +
  "shard partition leader follower quorum certificate issuer duration renew authority mesh " +
  "gateway ingress egress filter header match prefix rewrite redirect mirror fault delay abort"
).split(" ");

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(rand, WORDS));
  const text = out.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

type Schema = {
  type: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: string[];
  format?: string;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
  required?: string[];
  [k: string]: unknown;
};

/**
 * A deep object schema of about `targetBytes` (JSON): breadth-first growth, descriptions of a
 * sentence or two per field as generated CRDs carry, keyed lists of objects, enums and formats.
 */
function deepSchema(rand: () => number, targetBytes: number, maxDepth: number): Schema {
  const root: Schema = { type: "object", description: sentence(rand, 12), properties: {} };
  let size = 200;
  const frontier: Array<{ node: Schema; depth: number }> = [{ node: root, depth: 0 }];
  let counter = 0;
  while (size < targetBytes && frontier.length > 0) {
    const { node, depth } = frontier.shift() as { node: Schema; depth: number };
    const props = node.properties as Record<string, Schema>;
    const width = depth === 0 ? 12 : 4 + Math.floor(rand() * 5);
    for (let i = 0; i < width && size < targetBytes; i++) {
      counter += 1;
      const name = `${pick(rand, WORDS)}${pick(rand, WORDS).replace(/^./, (c) => c.toUpperCase())}${counter}`;
      const description = sentence(rand, 10 + Math.floor(rand() * 25));
      const roll = rand();
      let child: Schema;
      if (depth < maxDepth && roll < 0.3) {
        child = { type: "object", description, properties: {} };
        frontier.push({ node: child, depth: depth + 1 });
      } else if (depth < maxDepth && roll < 0.4) {
        const item: Schema = {
          type: "object",
          properties: { name: { type: "string", description: "Name of this entry, unique in the list." } },
          required: ["name"],
        };
        child = {
          type: "array",
          description,
          items: item,
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
        };
        frontier.push({ node: item, depth: depth + 1 });
      } else if (roll < 0.55) {
        child = { type: "integer", format: "int32", description };
      } else if (roll < 0.65) {
        child = { type: "boolean", description };
      } else if (roll < 0.75) {
        child = { type: "string", enum: ["Always", "IfNotPresent", "Never"], description };
      } else if (roll < 0.82) {
        child = { type: "array", items: { type: "string" }, description };
      } else {
        child = { type: "string", description };
      }
      props[name] = child;
      size += JSON.stringify(child).length + name.length + 4;
    }
  }
  dropEmptyProperties(root);
  return root;
}

/** Objects the size budget left without fields keep their contents free-form (the server drops an empty `properties`). */
function dropEmptyProperties(node: Schema): void {
  if (node.properties) {
    const children = Object.values(node.properties);
    if (children.length === 0) {
      delete node.properties;
      node["x-kubernetes-preserve-unknown-fields"] = true;
    }
    for (const child of children) dropEmptyProperties(child);
  }
  if (node.items) dropEmptyProperties(node.items);
}

/** A value that conforms to `schema`, filling every field down to `depth` (lists get two entries). */
function instanceOf(schema: Schema, rand: () => number, depth: number, revision: string): unknown {
  switch (schema.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [name, child] of Object.entries(schema.properties ?? {})) {
        if (depth <= 0 && child.type !== "string" && name !== "name") continue;
        if (rand() < 0.35 && name !== "name") continue;
        out[name] = instanceOf(child, rand, depth - 1, revision);
      }
      return out;
    }
    case "array":
      if (schema.items?.type === "object") {
        return [0, 1].map((i) => ({
          ...(instanceOf(schema.items as Schema, rand, depth - 1, revision) as object),
          name: `entry-${i}`,
        }));
      }
      return [`${pick(rand, WORDS)}-${revision}`, pick(rand, WORDS)];
    case "integer":
      return Math.floor(rand() * 1000);
    case "boolean":
      return rand() < 0.5;
    default:
      return schema.enum ? (schema.enum[0] as string) : `${pick(rand, WORDS)}-${pick(rand, WORDS)}`;
  }
}

export type CrdSpec = { kind: string; plural: string; group: string; bytes: number; seed: number };

const STATUS_SCHEMA: Schema = {
  type: "object",
  properties: {
    observedGeneration: { type: "integer", format: "int64" },
    phase: { type: "string" },
    message: { type: "string" },
    conditions: {
      type: "array",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
      items: {
        type: "object",
        required: ["type", "status"],
        properties: {
          type: { type: "string" },
          status: { type: "string" },
          reason: { type: "string" },
          message: { type: "string" },
          lastTransitionTime: { type: "string", format: "date-time" },
          observedGeneration: { type: "integer", format: "int64" },
        },
      },
    },
  },
};

const schemas = new Map<string, Schema>();

/** The spec schema of a CRD (generated once per spec: custom resources of the same kind reuse it). */
function schemaFor(spec: CrdSpec): Schema {
  const key = `${spec.group}/${spec.kind}/${spec.bytes}/${spec.seed}`;
  let schema = schemas.get(key);
  if (!schema) {
    schema = deepSchema(prng(spec.seed), spec.bytes, 7);
    schemas.set(key, schema);
  }
  return schema;
}

/** A CustomResourceDefinition of about `spec.bytes` with a status subresource. */
export function crdOf(spec: CrdSpec, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${spec.plural}.${spec.group}`, labels },
    spec: {
      group: spec.group,
      names: {
        kind: spec.kind,
        listKind: `${spec.kind}List`,
        plural: spec.plural,
        singular: spec.kind.toLowerCase(),
      },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Phase", type: "string", jsonPath: ".status.phase" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: `${spec.kind} is a benchmark resource with a generated schema.`,
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: schemaFor(spec),
                status: STATUS_SCHEMA,
              },
            },
          },
        },
      ],
    },
  };
}

/** A custom resource of `spec`'s kind that fills its schema a few levels deep. */
export function customResourceOf(
  spec: CrdSpec,
  options: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    revision: string;
    seed: number;
  },
): KubeObject {
  const body = instanceOf(schemaFor(spec), prng(options.seed), 3, options.revision) as Record<
    string,
    unknown
  >;
  return {
    apiVersion: `${spec.group}/v1`,
    kind: spec.kind,
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    spec: body,
  };
}

function container(name: string, index: number, revision: string, port: number): Record<string, unknown> {
  const probe = (path: string, delay: number) => ({
    httpGet: { path, port, scheme: "HTTP" },
    initialDelaySeconds: delay,
    periodSeconds: 10,
    timeoutSeconds: 2,
    successThreshold: 1,
    failureThreshold: 3,
  });
  return {
    name,
    image: `registry.example.com/team/${name}:${revision}`,
    imagePullPolicy: "IfNotPresent",
    args: ["--port", String(port), "--log-format=json", `--instance=${index}`],
    ports: [
      { name: name === "app" ? "http" : `${name.slice(0, 6)}-http`, containerPort: port, protocol: "TCP" },
    ],
    env: [
      { name: "MODE", value: "production" },
      { name: "INDEX", value: String(index) },
      { name: "REVISION", value: revision },
      { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
      {
        name: "POD_NAMESPACE",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
      },
      {
        name: "MEMORY_LIMIT",
        valueFrom: { resourceFieldRef: { containerName: name, resource: "limits.memory", divisor: "1Mi" } },
      },
      { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://otel-collector.observability:4317" },
      { name: "FEATURE_FLAGS", value: "checkout-v2,search-rerank,async-export" },
    ],
    resources: {
      requests: { cpu: "250m", memory: "256Mi", "ephemeral-storage": "1Gi" },
      limits: { cpu: "1", memory: "512Mi", "ephemeral-storage": "2Gi" },
    },
    livenessProbe: probe("/healthz", 10),
    readinessProbe: probe("/readyz", 5),
    startupProbe: { ...probe("/startz", 1), failureThreshold: 30 },
    volumeMounts: [
      { name: "config", mountPath: `/etc/${name}`, readOnly: true },
      { name: "tmp", mountPath: "/tmp" },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}

/** A production-like Deployment: three containers with probes and resources, volumes, affinity, spread. */
export function deploymentOf(options: {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  index: number;
  revision: string;
}): KubeObject {
  const { name, index, revision } = options;
  const selector = { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": "bench" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: options.namespace,
      labels: { ...options.labels, ...selector, "app.kubernetes.io/version": revision },
      annotations: { "bench.pullbridge.dev/owner": "team-checkout", "bench.pullbridge.dev/tier": "backend" },
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: selector,
          annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9090" },
        },
        spec: {
          serviceAccountName: `${name}-sa`,
          terminationGracePeriodSeconds: 45,
          securityContext: { runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
          containers: [
            container("app", index, revision, 8080),
            container("sidecar-proxy", index, revision, 15001),
            container("metrics", index, revision, 9090),
          ],
          volumes: [
            { name: "config", configMap: { name: `${name}-config`, defaultMode: 420 } },
            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
          ],
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: "kubernetes.io/hostname",
                    labelSelector: { matchLabels: selector },
                  },
                },
              ],
            },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "topology.kubernetes.io/zone",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: selector },
            },
          ],
          tolerations: [{ key: "dedicated", operator: "Equal", value: "backend", effect: "NoSchedule" }],
        },
      },
    },
  };
}

/** A ConfigMap of about `bytes` (an application config file plus a few keys). */
function configMapOf(options: {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  bytes: number;
  revision: string;
  seed: number;
}): KubeObject {
  const rand = prng(options.seed);
  const lines: string[] = [`# revision ${options.revision}`];
  let size = 0;
  while (size < options.bytes) {
    const line = `${pick(rand, WORDS)}.${pick(rand, WORDS)}.${pick(rand, WORDS)} = ${sentence(rand, 6)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: options.name, namespace: options.namespace, labels: options.labels },
    data: { "application.properties": `${lines.join("\n")}\n`, LOG_LEVEL: "info", REGION: "eu-west-1" },
  };
}

function simple(
  kind: "Service" | "ServiceAccount" | "Secret",
  name: string,
  namespace: string,
  labels: Record<string, string>,
  revision: string,
): KubeObject {
  const metadata = { name, namespace, labels };
  if (kind === "Service") {
    return {
      apiVersion: "v1",
      kind,
      metadata,
      spec: {
        clusterIP: "None",
        selector: { "app.kubernetes.io/name": name },
        ports: [
          { name: "http", port: 80, targetPort: 8080, protocol: "TCP" },
          { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" },
          { name: "grpc", port: 9000, targetPort: 9000, protocol: "TCP" },
        ],
      },
    };
  }
  if (kind === "ServiceAccount") {
    return {
      apiVersion: "v1",
      kind,
      metadata: {
        ...metadata,
        annotations: { "eks.amazonaws.com/role-arn": `arn:aws:iam::123456789012:role/${name}` },
      },
      automountServiceAccountToken: false,
    };
  }
  return {
    apiVersion: "v1",
    kind,
    metadata,
    type: "Opaque",
    stringData: {
      username: `svc-${name}`,
      password: `pw-${name}-${revision}`,
      "config.json": JSON.stringify({ endpoint: `https://${name}.internal:8443`, retries: 3, revision }),
    },
  };
}

export type RealisticOptions = {
  namespace: string;
  revision: string;
  /** Labels every object carries (e.g. the bench's revision label). */
  labels?: Record<string, string>;
  /** Distinguishes CRD groups between namespaces: CRDs are cluster-scoped and each target owns its own. */
  groupSuffix: string;
};

/** The public-bundle-like set: 10 CRDs (30–480 KB), 20 custom resources and the operator's workloads — 131 objects. */
export function generateBundleLike(options: RealisticOptions): KubeObject[] {
  const labels = { ...(options.labels ?? {}) };
  const { namespace, revision } = options;
  const sizesKb = [480, 420, 350, 300, 250, 200, 150, 120, 80, 30];
  const crds: CrdSpec[] = sizesKb.map((kb, i) => ({
    kind: `Widget${i}`,
    plural: `widget${i}s`,
    group: `bundle.${options.groupSuffix}.bench.pullbridge.dev`,
    bytes: kb * 1024,
    seed: 1000 + i,
  }));
  const objects: KubeObject[] = crds.map((c) => crdOf(c, labels));
  // 2 custom resources per CRD = 20
  crds.forEach((c, i) => {
    for (let j = 0; j < 2; j++) {
      objects.push(
        customResourceOf(c, {
          name: `${c.plural.slice(0, -1)}-${j}`,
          namespace,
          labels,
          revision,
          seed: 5000 + i * 10 + j,
        }),
      );
    }
  });
  // The operator and its helpers: 20 Deployments, 20 ServiceAccounts, 20 Services, 20 ConfigMaps (2 large), 21 Secrets = 101
  for (let i = 0; i < 20; i++) {
    const name = `operator-${String(i).padStart(2, "0")}`;
    objects.push(deploymentOf({ name, namespace, labels, index: i, revision }));
    objects.push(simple("ServiceAccount", `${name}-sa`, namespace, labels, revision));
    objects.push(simple("Service", name, namespace, labels, revision));
    objects.push(
      configMapOf({
        name: `${name}-config`,
        namespace,
        labels,
        bytes: i < 2 ? 200 * 1024 : 3 * 1024,
        revision,
        seed: 9000 + i,
      }),
    );
    objects.push(simple("Secret", `${name}-secret`, namespace, labels, revision));
  }
  objects.push(simple("Secret", "operator-webhook-cert", namespace, labels, revision));
  return objects;
}

/**
 * `total` realistic objects: 2 CRDs (300 KB, 120 KB) and, of the rest, 20 % Deployments, 25 %
 * ConfigMaps (every 10th of 48 KB, the others 2 KB), 15 % each Services, ServiceAccounts and
 * Secrets, 10 % custom resources.
 */
export function generateRealistic(options: RealisticOptions & { total: number }): KubeObject[] {
  const labels = { ...(options.labels ?? {}) };
  const { namespace, revision } = options;
  const crds: CrdSpec[] = [
    {
      kind: "Pipeline",
      plural: "pipelines",
      group: `real.${options.groupSuffix}.bench.pullbridge.dev`,
      bytes: 300 * 1024,
      seed: 77,
    },
    {
      kind: "Tenant",
      plural: "tenants",
      group: `real.${options.groupSuffix}.bench.pullbridge.dev`,
      bytes: 120 * 1024,
      seed: 78,
    },
  ];
  const objects: KubeObject[] = crds.map((c) => crdOf(c, labels));
  const rest = Math.max(0, options.total - crds.length);
  const share = (fraction: number) => Math.floor(rest * fraction);
  const counts = {
    deployments: share(0.2),
    configMaps: share(0.25),
    services: share(0.15),
    serviceAccounts: share(0.15),
    secrets: share(0.15),
  };
  const crs = rest - Object.values(counts).reduce((a, b) => a + b, 0);
  const id = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, "0")}`;
  for (let i = 0; i < counts.deployments; i++)
    objects.push(deploymentOf({ name: id("web", i), namespace, labels, index: i, revision }));
  for (let i = 0; i < counts.configMaps; i++)
    objects.push(
      configMapOf({
        name: id("web-config", i),
        namespace,
        labels,
        bytes: i % 10 === 0 ? 48 * 1024 : 2 * 1024,
        revision,
        seed: 20000 + i,
      }),
    );
  for (let i = 0; i < counts.services; i++)
    objects.push(simple("Service", id("web", i), namespace, labels, revision));
  for (let i = 0; i < counts.serviceAccounts; i++)
    objects.push(simple("ServiceAccount", id("web-sa", i), namespace, labels, revision));
  for (let i = 0; i < counts.secrets; i++)
    objects.push(simple("Secret", id("web-secret", i), namespace, labels, revision));
  for (let i = 0; i < crs; i++) {
    const c = crds[i % crds.length] as CrdSpec;
    objects.push(
      customResourceOf(c, {
        name: id(c.kind.toLowerCase(), i),
        namespace,
        labels,
        revision,
        seed: 40000 + (i % 50),
      }),
    );
  }
  return objects;
}

/**
 * The status a controller would write for `object` (Deployments and custom resources), or
 * undefined for kinds without one. The bench writes it through the status subresource as
 * `kube-controller-manager` / an operator, so live objects carry real status and managedFields.
 */
export function statusFor(object: KubeObject, now: Date): Record<string, unknown> | undefined {
  const time = now.toISOString().replace(/\.\d+Z$/, "Z");
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: "True",
    reason,
    message,
    lastTransitionTime: time,
  });
  if (object.kind === "Deployment") {
    return {
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        {
          ...condition("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
          lastUpdateTime: time,
        },
        {
          ...condition(
            "Progressing",
            "NewReplicaSetAvailable",
            `ReplicaSet "${object.metadata.name}-7d9f8b6c5d" has successfully progressed.`,
          ),
          lastUpdateTime: time,
        },
      ],
    };
  }
  if (object.apiVersion.includes(".bench.pullbridge.dev/")) {
    return {
      observedGeneration: 1,
      phase: "Ready",
      message: "All components reconciled; the last reconcile took 1.2s and changed nothing.",
      conditions: [
        condition("Ready", "Reconciled", "The resource is reconciled and serving."),
        condition("Synced", "UpToDate", "Generated children match the spec."),
      ],
    };
  }
  return undefined;
}
