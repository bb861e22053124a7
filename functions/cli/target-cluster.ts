/**
 * A targets file's EKS cluster, reached as the worker reaches it — DescribeCluster, an EKS token,
 * and the cluster's `roleArn` assumed first when it names one — but with the caller's own AWS
 * credentials (the SDK's default chain: environment, profile, SSO). So a platform engineer can check
 * access to a cluster in another account before deploying the stack. Kubeconfig clusters are not
 * reached this way: their stored kubeconfig is the bridge's credential, not the caller's.
 */
import type { ClusterPort } from "../../lib/cluster/cluster-port.ts";
import type { Target, TargetsFile } from "../../lib/config/targets.ts";
import { composeClusterConnector } from "../worker/compose-cluster-connector.ts";

/** What a CLI command needs of its cluster connection. */
export type ClusterConnection = {
  cluster: ClusterPort;
  server: string;
  /** The default namespace (a kubeconfig context's), when there is one. */
  namespace: string | undefined;
};

/** Whether `target`'s cluster is one the CLI reaches through the targets file (an EKS cluster). */
export function reachesThroughTargetsFile(file: TargetsFile, target: Target): boolean {
  return file.clusters[target.cluster]?.type === "eks";
}

/** Connects to `target`'s EKS cluster with the caller's AWS credentials; nothing is sent until the first request. */
export async function connectTargetCluster(options: {
  file: TargetsFile;
  target: Target;
  /** `AWS_REGION`: for clusters that name no region. */
  region: string | undefined;
  now: () => Date;
}): Promise<ClusterConnection> {
  const connect = composeClusterConnector({
    targets: options.file,
    functionName: "cli",
    secrets: { read: async (ref) => Promise.reject(new Error(`the CLI does not read ${ref}`)) },
    // A CLI sync is one run: a token with five minutes left is renewed before it starts.
    tokenMarginMs: 5 * 60_000,
    now: options.now,
    region: options.region,
    localMode: true,
  });
  const cluster = await connect(options.target, "sync");
  return { cluster, server: cluster.server, namespace: undefined };
}
