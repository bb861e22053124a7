/** Manifest files as a repository would hold them (YAML text), for end-to-end tests. */

/** A ConfigMap manifest with string data. */
export function configMapYaml(name: string, data: Record<string, string>): string {
  return [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata:",
    `  name: ${name}`,
    "data:",
    ...Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`),
    "",
  ].join("\n");
}

/** A ServiceAccount manifest. */
export function serviceAccountYaml(name: string): string {
  return ["apiVersion: v1", "kind: ServiceAccount", "metadata:", `  name: ${name}`, ""].join("\n");
}

/**
 * A Deployment manifest whose pods carry `podLabels` (on the rolling cluster the label
 * `pullbridge.test/fault` makes them misbehave) and `podAnnotations`.
 */
export function deploymentYaml(
  name: string,
  options: {
    replicas?: number;
    podLabels?: Record<string, string>;
    podAnnotations?: Record<string, string>;
    /** Extra lines under `spec:`, indented by the caller (e.g. `  progressDeadlineSeconds: 8`). */
    specLines?: readonly string[];
  } = {},
): string {
  const labels = { app: name, ...(options.podLabels ?? {}) };
  const annotations = Object.entries(options.podAnnotations ?? {});
  return [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  replicas: ${options.replicas ?? 2}`,
    ...(options.specLines ?? []),
    "  selector:",
    "    matchLabels:",
    `      app: ${name}`,
    "  template:",
    "    metadata:",
    "      labels:",
    ...Object.entries(labels).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`),
    ...(annotations.length > 0
      ? ["      annotations:", ...annotations.map(([k, v]) => `        ${k}: ${JSON.stringify(v)}`)]
      : []),
    "    spec:",
    "      terminationGracePeriodSeconds: 0",
    "      containers:",
    "        - name: app",
    "          image: registry.example/app:1",
    "",
  ].join("\n");
}
