/**
 * A `KubeConnection` from kubeconfig text whose credentials are all inline: the server, its CA
 * (`certificate-authority-data`, or `insecure-skip-tls-verify`), `tls-server-name`, and a
 * bearer `token`, a client certificate (`client-certificate-data` + `client-key-data`) or
 * basic auth. That is what a kubeconfig stored in SSM / Secrets Manager for a Lambda holds, and
 * reading it needs no client-node (whose KubeConfig is most of the worker's bundle).
 *
 * Everything a Lambda cannot honour is refused by name, before any request: `exec` and
 * `auth-provider` plugins (no binaries, no browser), file references (`token-file`,
 * `certificate-authority`, `client-certificate`, `client-key`: no files), and `proxy-url`.
 * Local mode and the CLI read the user's own kubeconfig with client-node instead (exec plugins
 * such as `aws eks get-token`, files, proxies).
 */
import { parse } from "yaml";
import { ClusterError } from "../errors.ts";
import type { KubeConnection, KubeTls } from "./adapters/kube-connection.ts";

type Section = Record<string, unknown>;

const refuse = (message: string): never => {
  throw new ClusterError(`stored kubeconfig: ${message}`, { retryable: false });
};

function asSection(value: unknown): Section {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Section) : {};
}

function findNamed(list: unknown, name: string, key: "cluster" | "user" | "context", what: string): Section {
  const entries: unknown[] = Array.isArray(list) ? list : [];
  const entry = entries.find((e) => asSection(e).name === name);
  if (entry === undefined) {
    const known = entries.map((e) => String(asSection(e).name)).join(", ");
    refuse(`no ${what} "${name}" (known: ${known || "none"})`);
  }
  return asSection(asSection(entry)[key]);
}

function stringField(section: Section, field: string, where: string): string | undefined {
  const value = section[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") refuse(`${where}.${field} must be a string`);
  return value as string;
}

/** Fields a Lambda cannot use, with what to do instead. */
const UNSUPPORTED_USER_FIELDS: ReadonlyArray<[string, string]> = [
  ["exec", "exec plugins cannot run in Lambda; use `type: eks` (IAM) or a token"],
  ["auth-provider", "auth-provider plugins are not supported; use a token or a client certificate"],
  ["tokenFile", "file references cannot be read in Lambda; inline the token as `token`"],
  ["client-certificate", "file references cannot be read in Lambda; use `client-certificate-data`"],
  ["client-key", "file references cannot be read in Lambda; use `client-key-data`"],
  ["as", "impersonation belongs in the target (`impersonate`), not in the stored kubeconfig"],
];

/** Parses kubeconfig text (current context, or `context`) into a connection; throws a permanent ClusterError naming what is wrong. */
export function connectionFromStaticKubeconfig(options: {
  text: string;
  context?: string | undefined;
}): KubeConnection {
  let doc: Section;
  try {
    doc = asSection(parse(options.text, { maxAliasCount: 10 }));
  } catch (error) {
    throw new ClusterError(`invalid kubeconfig: ${error instanceof Error ? error.message : String(error)}`, {
      retryable: false,
      cause: error,
    });
  }
  const contextName = options.context ?? stringField(doc, "current-context", "kubeconfig");
  if (contextName === undefined) return refuse("no current-context and no context given");
  const context = findNamed(doc.contexts, contextName, "context", "context");
  const clusterName = stringField(context, "cluster", `contexts[${contextName}]`);
  const userName = stringField(context, "user", `contexts[${contextName}]`);
  if (clusterName === undefined) return refuse(`context "${contextName}" names no cluster`);
  const cluster = findNamed(doc.clusters, clusterName, "cluster", "cluster");
  const user = userName === undefined ? {} : findNamed(doc.users, userName, "user", "user");
  const clusterWhere = `clusters[${clusterName}]`;
  const userWhere = `users[${userName ?? ""}]`;

  const server = stringField(cluster, "server", clusterWhere) ?? refuse(`${clusterWhere} has no server`);
  if (stringField(cluster, "certificate-authority", clusterWhere) !== undefined)
    refuse(
      `${clusterWhere}.certificate-authority: file references cannot be read in Lambda; use certificate-authority-data`,
    );
  if (stringField(cluster, "proxy-url", clusterWhere) !== undefined)
    refuse(`${clusterWhere}.proxy-url is not supported by the worker; reach the API server directly (VPC)`);
  for (const [field, hint] of UNSUPPORTED_USER_FIELDS) {
    if (user[field] !== undefined && user[field] !== null) refuse(`${userWhere}.${field}: ${hint}`);
  }

  const caData = stringField(cluster, "certificate-authority-data", clusterWhere);
  const insecure = cluster["insecure-skip-tls-verify"] === true;
  const servername = stringField(cluster, "tls-server-name", clusterWhere);
  const certData = stringField(user, "client-certificate-data", userWhere);
  const keyData = stringField(user, "client-key-data", userWhere);
  if ((certData === undefined) !== (keyData === undefined))
    refuse(`${userWhere} needs both client-certificate-data and client-key-data`);
  const tls: KubeTls = {
    ...(caData === undefined ? {} : { ca: Buffer.from(caData, "base64") }),
    ...(certData === undefined ? {} : { cert: Buffer.from(certData, "base64") }),
    ...(keyData === undefined ? {} : { key: Buffer.from(keyData, "base64") }),
    ...(insecure ? { rejectUnauthorized: false } : {}),
    ...(servername === undefined ? {} : { servername }),
  };

  const headers: Awaited<ReturnType<KubeConnection["authHeaders"]>> = {};
  const token = stringField(user, "token", userWhere);
  const username = stringField(user, "username", userWhere);
  const password = stringField(user, "password", userWhere);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  else if (username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${username}:${password ?? ""}`).toString("base64")}`;
  return { server: server.replace(/\/+$/, ""), tls, authHeaders: async () => headers };
}
