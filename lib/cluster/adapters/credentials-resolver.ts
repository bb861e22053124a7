/**
 * Turns a target's cluster config into the data a Kubernetes client needs: an EKS endpoint, CA
 * and bearer token, or the text of a kubeconfig. It returns data only; building the HTTP client
 * from it belongs to `kube-cluster-client.ts`. Tokens and kubeconfig text are secrets: callers
 * must never log a `ClusterCredentials` value.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { SecretReader } from "../../config/adapters/read-secrets.ts";
import type { ClusterConfig, Target } from "../../config/targets.ts";
import { ConfigError, DependencyError, PullbridgeError } from "../../errors.ts";
import type { AwsIdentity, EksTokenCache } from "../eks-token-cache.ts";
import type { AssumedRoleCredentials } from "./assumed-role-credentials.ts";
import type { EksClusterInfoSource } from "./eks-cluster-info.ts";

/** How to authenticate to one cluster. */
export type ClusterCredentials =
  | {
      readonly kind: "token";
      readonly server: string;
      /** Base64 PEM of the cluster CA (kubeconfig `certificate-authority-data`). */
      readonly caData: string;
      readonly token: string;
      /** When the token stops being accepted; re-resolve before then. */
      readonly expiresAt: Date;
    }
  | { readonly kind: "kubeconfig"; readonly kubeconfig: string; readonly context?: string };

/** Kubernetes impersonation (user and groups) a target acts as. */
export type Impersonation = NonNullable<Target["impersonate"]>;

/** Credentials plus the identity to impersonate with them, when the target has one. */
export type ResolvedClusterAccess = {
  readonly credentials: ClusterCredentials;
  readonly impersonate?: Impersonation;
};

export type ResolveClusterInput = {
  readonly cluster: ClusterConfig;
  /** Key of the cluster in the targets file, used to name the field in config errors. */
  readonly clusterKey?: string | undefined;
  /** The target's `impersonate` (or `previewImpersonate`), passed through. */
  readonly impersonate?: Impersonation | undefined;
};

/** Resolves a cluster config to credentials. */
export type ClusterCredentialsResolver = {
  resolve(input: ResolveClusterInput): Promise<ResolvedClusterAccess>;
};

export type ClusterCredentialsResolverDeps = {
  clusterInfo: EksClusterInfoSource;
  tokens: EksTokenCache;
  /**
   * Credentials of the roles EKS clusters name (`roleArn`); DescribeCluster and the token both use
   * them. Without it, a cluster with a role is refused (ConfigError).
   */
  assumedRoles?: AssumedRoleCredentials | undefined;
  /** Which of a cluster's roles this function assumes: the health function its `healthRoleArn` (default `roleArn`). */
  roleOf?: "worker" | "health";
  /** Reads `ssm:` / `secretsmanager:` references; in Lambda, the shared Powertools reader (`createParametersSecretReader`). */
  secrets: SecretReader;
  /** Region for EKS clusters that do not name one (the function's own region). */
  defaultRegion?: string | undefined;
  /** Allows `file:` and `default` kubeconfig sources; only the local CLI sets it. */
  localMode?: boolean;
  /** Reads a local kubeconfig (local mode only); defaults to `fs.readFile`. */
  readLocalFile?: (path: string) => Promise<string>;
  /** What `default` means (local mode only); the composition root passes `$KUBECONFIG`'s first entry. Defaults to `~/.kube/config`. */
  defaultKubeconfigPath?: string;
};

/** Creates the resolver; build it once per container so the caches behind it live across invocations. */
export function createClusterCredentialsResolver(
  deps: ClusterCredentialsResolverDeps,
): ClusterCredentialsResolver {
  const readLocalFile = deps.readLocalFile ?? ((path: string) => readFile(path, "utf8"));

  const resolveCredentials = async (input: ResolveClusterInput): Promise<ClusterCredentials> => {
    const { cluster } = input;
    const fieldPrefix = input.clusterKey === undefined ? "cluster" : `clusters.${input.clusterKey}`;
    if (cluster.type === "eks") {
      const region = cluster.region ?? deps.defaultRegion;
      if (region === undefined || region === "") {
        throw new ConfigError(
          `${fieldPrefix}.region`,
          `EKS cluster "${cluster.name}" names no region and no default region is configured`,
        );
      }
      const identity = roleIdentity(cluster, input.clusterKey ?? cluster.name, region, fieldPrefix);
      // Assumed before DescribeCluster and the token ask for it, so a denied role fails as itself.
      await identity?.credentials();
      const [info, token] = await Promise.all([
        deps.clusterInfo.describe({ name: cluster.name, region, identity }),
        deps.tokens.get({ clusterName: cluster.name, region, identity }),
      ]);
      return {
        kind: "token",
        server: info.server,
        caData: info.caData,
        token: token.token,
        expiresAt: token.expiresAt,
      };
    }

    const field = `${fieldPrefix}.source`;
    const kubeconfig = await readKubeconfig(cluster.source, field);
    if (kubeconfig.trim() === "") throw new ConfigError(field, `kubeconfig from ${cluster.source} is empty`);
    return cluster.context === undefined
      ? { kind: "kubeconfig", kubeconfig }
      : { kind: "kubeconfig", kubeconfig, context: cluster.context };
  };

  const roleIdentity = (
    cluster: Extract<ClusterConfig, { type: "eks" }>,
    clusterKey: string,
    region: string,
    fieldPrefix: string,
  ): AwsIdentity | undefined => {
    const roleArn = deps.roleOf === "health" ? (cluster.healthRoleArn ?? cluster.roleArn) : cluster.roleArn;
    if (roleArn === undefined) return undefined;
    if (deps.assumedRoles === undefined) {
      throw new ConfigError(`${fieldPrefix}.roleArn`, "assuming a role is not set up in this process");
    }
    return {
      key: roleArn,
      credentials: deps.assumedRoles.forRole({
        roleArn,
        externalId: cluster.externalId,
        cluster: clusterKey,
        region,
      }),
    };
  };

  const readKubeconfig = async (source: string, field: string): Promise<string> => {
    if (isSecretRef(source)) {
      try {
        return await deps.secrets.read(source);
      } catch (error) {
        if (error instanceof PullbridgeError) throw error;
        throw new DependencyError(`reading kubeconfig from ${source} failed`, { cause: error });
      }
    }
    const path =
      source === "default" ? (deps.defaultKubeconfigPath ?? defaultKubeconfigPath()) : localPath(source);
    if (path === undefined) {
      throw new ConfigError(field, "must be ssm:<name>, secretsmanager:<name>, file:<path> or default");
    }
    if (deps.localMode !== true) {
      throw new ConfigError(field, `${source} is only allowed in local mode; use ssm: or secretsmanager:`);
    }
    try {
      return await readLocalFile(path);
    } catch (error) {
      throw new ConfigError(field, `cannot read kubeconfig file ${path}`, { cause: error });
    }
  };

  return {
    async resolve(input) {
      const credentials = await resolveCredentials(input);
      return input.impersonate === undefined
        ? { credentials }
        : { credentials, impersonate: input.impersonate };
    },
  };
}

function isSecretRef(source: string): boolean {
  return /^(ssm|secretsmanager):./.test(source);
}

function localPath(source: string): string | undefined {
  if (!source.startsWith("file:")) return undefined;
  const path = source.slice("file:".length);
  return path === "" ? undefined : path;
}

function defaultKubeconfigPath(): string {
  return join(homedir(), ".kube", "config");
}
