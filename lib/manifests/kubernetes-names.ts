/**
 * Kubernetes name rules (apimachinery `validation`), so bad names fail at load time with a
 * file:line instead of in the middle of a dry-run.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `value` is not an RFC 1123 label (namespaces, Namespace names), or undefined when it is one. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length > 63) return `must be at most 63 characters (has ${value.length})`;
  if (!DNS1123_LABEL.test(value)) {
    return "must be an RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `value` is not an RFC 1123 subdomain (most object names), or undefined when it is one. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length > 253) return `must be at most 253 characters (has ${value.length})`;
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return "must be an RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

/** Why `value` cannot be a URL path segment (the looser rule RBAC objects use, e.g. `system:viewer`). */
export function pathSegmentNameProblem(value: string): string | undefined {
  if (value === "." || value === "..") return `must not be "${value}"`;
  if (value.includes("/") || value.includes("%")) return "must not contain '/' or '%'";
  return undefined;
}
