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
