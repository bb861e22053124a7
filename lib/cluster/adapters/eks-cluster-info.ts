/**
 * EKS cluster endpoint and CA from `DescribeCluster`, cached per container: they change only
 * when the cluster is recreated, and the call costs an EKS API request (rate-limited per
 * account) on every cold start otherwise. The SDK client is loaded on the first lookup, not at
 * module load: it is ~100 ms of a cold start (BENCHMARKS.md, Cold starts).
 */
import type { DescribeClusterCommandOutput, EKSClient } from "@aws-sdk/client-eks";
import { ClusterError } from "../../errors.ts";
import { classifyAwsError } from "../credentials-aws-errors.ts";
import type { AwsIdentity } from "../eks-token-cache.ts";
import { type AwsCredentialsProvider, sdkCredentialsOf } from "./eks-token.ts";

/** Where an EKS API server is and which CA signs its certificate (base64 PEM, as in a kubeconfig). */
export type EksClusterInfo = { readonly server: string; readonly caData: string };

/** Which EKS cluster, and who asks: the function's own credentials unless `identity` (an assumed role) is given. */
export type EksClusterRef = {
  readonly name: string;
  readonly region: string;
  readonly identity?: AwsIdentity | undefined;
};

/** Looks up EKS clusters. */
export type EksClusterInfoSource = { describe(cluster: EksClusterRef): Promise<EksClusterInfo> };

export type EksClusterInfoSourceOptions = {
  /**
   * EKS client per region and identity; defaults to `new EKSClient({ region, credentials })`, the
   * function's own credentials when `credentials` is undefined (tests point `endpoint` at a fake).
   */
  clientFor?: (region: string, credentials: AwsCredentialsProvider | undefined) => EKSClient;
  /** EKS endpoint override for the default clients (tests, local mode); the SDK also honours `AWS_ENDPOINT_URL_EKS`. */
  endpoint?: string | undefined;
};

// A cluster being created has no endpoint yet; one being deleted or failed will not get one.
const TRANSIENT_STATUSES = new Set(["CREATING", "PENDING"]);

/** The EKS SDK module, imported once on first use. */
let eksSdk: Promise<typeof import("@aws-sdk/client-eks")> | undefined;
const loadEksSdk = () => {
  eksSdk ??= import("@aws-sdk/client-eks");
  return eksSdk;
};

/**
 * Creates a DescribeCluster-backed source that caches successful lookups per (identity, region,
 * name): a cluster in another account is described with that account's role, and one cluster
 * name can exist in two accounts.
 */
export function createEksClusterInfoSource(options: EksClusterInfoSourceOptions = {}): EksClusterInfoSource {
  const { clientFor, endpoint } = options;
  const clients = new Map<string, Promise<EKSClient>>();
  const cache = new Map<string, Promise<EksClusterInfo>>();

  const client = (region: string, identity: AwsIdentity | undefined): Promise<EKSClient> => {
    const key = JSON.stringify([identity?.key ?? null, region]);
    let existing = clients.get(key);
    if (existing === undefined) {
      const credentials = identity?.credentials;
      existing =
        clientFor === undefined
          ? loadEksSdk().then(
              ({ EKSClient }) =>
                new EKSClient({
                  region,
                  ...(credentials === undefined ? {} : { credentials: sdkCredentialsOf(credentials) }),
                  ...(endpoint === undefined ? {} : { endpoint }),
                }),
            )
          : Promise.resolve(clientFor(region, credentials));
      clients.set(key, existing);
    }
    return existing;
  };

  return {
    describe(cluster) {
      const key = JSON.stringify([cluster.identity?.key ?? null, cluster.region, cluster.name]);
      const cached = cache.get(key);
      if (cached !== undefined) return cached;
      const pending = describeCluster(client(cluster.region, cluster.identity), cluster);
      cache.set(key, pending);
      // Only successes are remembered; the caller handles the rejection of `pending` itself.
      void pending.catch(() => {
        if (cache.get(key) === pending) cache.delete(key);
      });
      return pending;
    },
  };
}

async function describeCluster(eks: Promise<EKSClient>, ref: EksClusterRef): Promise<EksClusterInfo> {
  const label = `EKS cluster "${ref.name}" in ${ref.region}${ref.identity ? ` (as ${ref.identity.key})` : ""}`;
  const [{ DescribeClusterCommand }, client] = await Promise.all([loadEksSdk(), eks]);
  let cluster: DescribeClusterCommandOutput["cluster"];
  try {
    ({ cluster } = await client.send(new DescribeClusterCommand({ name: ref.name })));
  } catch (error) {
    const facts = classifyAwsError(error);
    throw new ClusterError(`DescribeCluster failed for ${label}: ${facts.code}: ${facts.message}`, {
      cause: error,
      retryable: facts.retryable,
      status: facts.status,
    });
  }
  const server = cluster?.endpoint;
  const caData = cluster?.certificateAuthority?.data;
  if (!server || !caData) {
    const status = cluster?.status ?? "unknown";
    throw new ClusterError(`${label} has no endpoint or certificate authority yet (status ${status})`, {
      retryable: TRANSIENT_STATUSES.has(status),
    });
  }
  if (!server.startsWith("https://")) {
    throw new ClusterError(`${label} reports a non-HTTPS endpoint`, { retryable: false });
  }
  return { server, caData };
}
