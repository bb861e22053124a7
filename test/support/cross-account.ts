/**
 * EKS clusters "in other AWS accounts" for tests, all played by the run's one API server: per
 * cluster a unique EKS name, a role in its account (moto issues that account's credentials when
 * it is assumed), an access entry on the run's token webhook mapping the role to its own
 * Kubernetes group, and the EKS fake answering DescribeCluster for (account, region, name).
 */
import { RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { inject } from "vitest";
import { type EksFake, startEksFake } from "./eks-fake.ts";
import { kubeConfigFor, uniqueName } from "./kube.ts";
import { MOTO_CREDENTIALS } from "./moto.ts";
import { addAccessEntry } from "./token-webhook.ts";

/** One cluster to create: its key in the targets file, account, region, and what its roles need. */
export type AccountClusterSpec = {
  key: string;
  account: string;
  region: string;
  externalId?: string;
  /** Also a read-only health role, mapped to the `pullbridge:health` group (infra/rbac/health-reader-role.yaml). */
  healthRole?: boolean;
};

/** What was created for one cluster. */
export type AccountCluster = AccountClusterSpec & {
  /** EKS cluster name (unique per test). */
  name: string;
  roleArn: string;
  healthRoleArn?: string;
  /** The Kubernetes group the role is mapped to. */
  group: string;
};

export type CrossAccountWorld = {
  clusters: Record<string, AccountCluster>;
  /** The `clusters:` section of a targets file for them. */
  targetsClusters: Record<string, Record<string, unknown>>;
  eks: EksFake;
  motoEndpoint: string;
  /** The STS / EKS endpoints for the code under test. */
  endpoints: { sts: string; eks: string };
  /** Gives `group` full namespaced rights in `namespace` (as grantWorker does for the static worker). */
  grant(namespace: string, group: string): Promise<void>;
  stop(): Promise<void>;
};

/** The account moto answers for the dummy credentials (MOTO_CREDENTIALS) themselves. */
export const MOTO_DEFAULT_ACCOUNT = "123456789012";

/** Creates the clusters, their roles and access entries; `sts` overrides the STS endpoint (a fault proxy in front of moto). */
export async function startCrossAccountWorld(
  specs: readonly AccountClusterSpec[],
  options: { sts?: string } = {},
): Promise<CrossAccountWorld> {
  const cp = inject("controlPlane");
  const motoEndpoint = inject("motoEndpoint");
  const webhook = inject("tokenWebhook");
  const clusters: Record<string, AccountCluster> = {};
  for (const spec of specs) {
    const name = uniqueName("eks");
    const cluster: AccountCluster = {
      ...spec,
      name,
      roleArn: `arn:aws:iam::${spec.account}:role/${uniqueName("deployer")}`,
      group: `pullbridge:${spec.key}-writers`,
      ...(spec.healthRole
        ? { healthRoleArn: `arn:aws:iam::${spec.account}:role/${uniqueName("health")}` }
        : {}),
    };
    await addAccessEntry(webhook, { cluster: name, principalArn: cluster.roleArn, groups: [cluster.group] });
    if (cluster.healthRoleArn) {
      await addAccessEntry(webhook, {
        cluster: name,
        principalArn: cluster.healthRoleArn,
        groups: ["pullbridge:health"],
      });
    }
    clusters[spec.key] = cluster;
  }
  const eks = await startEksFake({
    motoEndpoint,
    clusters: Object.values(clusters).map((c) => ({
      account: c.account,
      region: c.region,
      name: c.name,
      endpoint: cp.server,
      caPem: cp.caPem,
    })),
    staticKeys: {
      [MOTO_CREDENTIALS.accessKeyId]: {
        secret: MOTO_CREDENTIALS.secretAccessKey,
        account: MOTO_DEFAULT_ACCOUNT,
      },
    },
  });
  const targetsClusters = Object.fromEntries(
    Object.values(clusters).map((c) => [
      c.key,
      {
        type: "eks",
        name: c.name,
        region: c.region,
        roleArn: c.roleArn,
        ...(c.externalId === undefined ? {} : { externalId: c.externalId }),
        ...(c.healthRoleArn === undefined ? {} : { healthRoleArn: c.healthRoleArn }),
      },
    ]),
  );
  return {
    clusters,
    targetsClusters,
    eks,
    motoEndpoint,
    endpoints: { sts: options.sts ?? motoEndpoint, eks: eks.url },
    async grant(namespace, group) {
      const rbac = kubeConfigFor("admin").makeApiClient(RbacAuthorizationV1Api);
      const name = `writers-${group.replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63);
      await rbac.createNamespacedRole({
        namespace,
        body: {
          metadata: { name },
          rules: [
            {
              apiGroups: ["", "apps", "batch", "networking.k8s.io", "policy", "rbac.authorization.k8s.io"],
              resources: ["*"],
              verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
            },
          ],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
          subjects: [{ kind: "Group", name: group, apiGroup: "rbac.authorization.k8s.io" }],
        },
      });
    },
    stop: () => eks.stop(),
  };
}
