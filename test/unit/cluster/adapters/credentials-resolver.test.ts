import { describe, expect, it } from "vitest";
import {
  type ClusterCredentialsResolverDeps,
  createClusterCredentialsResolver,
} from "../../../../lib/cluster/adapters/credentials-resolver.ts";
import type {
  EksClusterInfoSource,
  EksClusterRef,
} from "../../../../lib/cluster/adapters/eks-cluster-info.ts";
import { EKS_TOKEN_PREFIX } from "../../../../lib/cluster/adapters/eks-token.ts";
import { createEksTokenCache } from "../../../../lib/cluster/eks-token-cache.ts";
import type { SecretReader } from "../../../../lib/config/adapters/read-secrets.ts";
import type { ClusterConfig } from "../../../../lib/config/targets.ts";
import { ClusterError, ConfigError, DependencyError } from "../../../../lib/errors.ts";

const NOW = new Date("2024-01-02T03:04:05.000Z");
const CA_DATA = Buffer.from("-----BEGIN CERTIFICATE-----\n").toString("base64");
const KUBECONFIG = "apiVersion: v1\nkind: Config\ncurrent-context: ci\n";

/** Fakes behind every port, recording what the resolver asked for. */
function harness(overrides: Partial<ClusterCredentialsResolverDeps> = {}) {
  const described: EksClusterRef[] = [];
  const secretReads: string[] = [];
  const fileReads: string[] = [];
  const secretValues = new Map<string, string>([
    ["ssm:/pullbridge/kube", KUBECONFIG],
    ["secretsmanager:pullbridge/kube", KUBECONFIG],
    ["ssm:/blank", "  \n"],
  ]);
  const clusterInfo: EksClusterInfoSource = {
    describe: async (ref) => {
      described.push(ref);
      return { server: `https://${ref.name}.${ref.region}.eks.example`, caData: CA_DATA };
    },
  };
  const secrets: SecretReader = {
    read: async (ref) => {
      secretReads.push(ref);
      const value = secretValues.get(ref);
      if (value === undefined) throw new ConfigError(ref, "secret not found");
      return value;
    },
  };
  const resolver = createClusterCredentialsResolver({
    clusterInfo,
    tokens: createEksTokenCache({
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      now: () => NOW,
    }),
    secrets,
    defaultRegion: "eu-central-1",
    readLocalFile: async (path) => {
      fileReads.push(path);
      return `# from ${path}\n${KUBECONFIG}`;
    },
    defaultKubeconfigPath: "/home/dev/.kube/config",
    ...overrides,
  });
  return { resolver, described, secretReads, fileReads };
}

function decodedUrl(token: string): URL {
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8"));
}

describe("createClusterCredentialsResolver — EKS", () => {
  it("combines DescribeCluster's endpoint and CA with a token for that cluster", async () => {
    // Prepare
    const { resolver, described } = harness();
    const cluster: ClusterConfig = { type: "eks", name: "prod-eu", region: "eu-west-1" };

    // Act
    const { credentials } = await resolver.resolve({ cluster });

    // Assess
    expect(described).toEqual([{ name: "prod-eu", region: "eu-west-1" }]);
    expect(credentials).toEqual({
      kind: "token",
      server: "https://prod-eu.eu-west-1.eks.example",
      caData: CA_DATA,
      token: expect.stringMatching(/^k8s-aws-v1\./),
      expiresAt: new Date("2024-01-02T03:19:05.000Z"),
    });
    const url = credentials.kind === "token" ? decodedUrl(credentials.token) : undefined;
    expect(url?.host).toBe("sts.eu-west-1.amazonaws.com");
  });

  it("uses the default region when the cluster names none", async () => {
    // Prepare
    const { resolver, described } = harness();

    // Act
    const { credentials } = await resolver.resolve({ cluster: { type: "eks", name: "prod" } });

    // Assess
    expect(described).toEqual([{ name: "prod", region: "eu-central-1" }]);
    expect(credentials.kind === "token" && decodedUrl(credentials.token).host).toBe(
      "sts.eu-central-1.amazonaws.com",
    );
  });

  it("refuses an EKS cluster without any region, naming the field", async () => {
    // Prepare
    const { resolver } = harness({ defaultRegion: undefined });

    // Act
    const result = resolver.resolve({ cluster: { type: "eks", name: "prod" }, clusterKey: "prod" });

    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toMatchObject({ field: "clusters.prod.region" });
  });

  it("lets a DescribeCluster failure through unchanged, so its retryability decides", async () => {
    // Prepare
    const failure = new ClusterError('EKS cluster "gone" not found', { retryable: false, status: 404 });
    const { resolver } = harness({
      clusterInfo: {
        describe: async () => {
          throw failure;
        },
      },
    });

    // Act
    const result = resolver.resolve({ cluster: { type: "eks", name: "gone", region: "eu-west-1" } });

    // Assess
    await expect(result).rejects.toBe(failure);
  });

  it("passes the target's impersonation through", async () => {
    // Prepare
    const { resolver } = harness();
    const impersonate = { user: "pullbridge:team-a", groups: ["team-a"] };

    // Act
    const resolved = await resolver.resolve({ cluster: { type: "eks", name: "prod" }, impersonate });

    // Assess
    expect(resolved.impersonate).toEqual(impersonate);
  });
});

describe("createClusterCredentialsResolver — kubeconfig", () => {
  it.each(["ssm:/pullbridge/kube", "secretsmanager:pullbridge/kube"] as const)(
    "reads the kubeconfig text from %s through the secret port",
    async (source) => {
      // Prepare
      const { resolver, secretReads } = harness();

      // Act
      const resolved = await resolver.resolve({ cluster: { type: "kubeconfig", source, context: "ci" } });

      // Assess
      expect(secretReads).toEqual([source]);
      expect(resolved).toEqual({
        credentials: { kind: "kubeconfig", kubeconfig: KUBECONFIG, context: "ci" },
      });
    },
  );

  it("leaves the context out when the config names none", async () => {
    // Prepare
    const { resolver } = harness();

    // Act
    const { credentials } = await resolver.resolve({
      cluster: { type: "kubeconfig", source: "ssm:/pullbridge/kube" },
    });

    // Assess
    expect(Object.keys(credentials)).toEqual(["kind", "kubeconfig"]);
  });

  it("refuses an empty kubeconfig", async () => {
    // Prepare
    const { resolver } = harness();

    // Act
    const result = resolver.resolve({
      cluster: { type: "kubeconfig", source: "ssm:/blank" },
      clusterKey: "dev",
    });

    // Assess
    await expect(result).rejects.toMatchObject({ name: "ConfigError", field: "clusters.dev.source" });
  });

  it("keeps the reader's own errors (a missing secret is a permanent ConfigError)", async () => {
    // Prepare
    const { resolver } = harness();

    // Act
    const result = resolver.resolve({ cluster: { type: "kubeconfig", source: "ssm:/missing" } });

    // Assess
    await expect(result).rejects.toMatchObject({
      name: "ConfigError",
      field: "ssm:/missing",
      retryable: false,
    });
  });

  it("wraps an unexpected reader failure as a retryable DependencyError", async () => {
    // Prepare
    const { resolver } = harness({
      secrets: {
        read: async () => {
          throw new TypeError("socket hang up");
        },
      },
    });

    // Act
    const result = resolver.resolve({ cluster: { type: "kubeconfig", source: "ssm:/pullbridge/kube" } });

    // Assess
    await expect(result).rejects.toBeInstanceOf(DependencyError);
    await expect(result).rejects.toMatchObject({ retryable: true });
  });

  it.each(["file:/etc/kube/config", "default"])("refuses %s outside local mode", async (source) => {
    // Prepare
    const { resolver, fileReads } = harness();

    // Act
    const result = resolver.resolve({ cluster: { type: "kubeconfig", source }, clusterKey: "local" });

    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toMatchObject({ field: "clusters.local.source", retryable: false });
    expect(fileReads).toEqual([]);
  });

  it.each([
    ["file:/etc/kube/config", "/etc/kube/config"],
    ["default", "/home/dev/.kube/config"],
  ])("reads %s from the local file system in local mode", async (source, path) => {
    // Prepare
    const { resolver, fileReads } = harness({ localMode: true });

    // Act
    const { credentials } = await resolver.resolve({ cluster: { type: "kubeconfig", source } });

    // Assess
    expect(fileReads).toEqual([path]);
    expect(credentials).toEqual({ kind: "kubeconfig", kubeconfig: `# from ${path}\n${KUBECONFIG}` });
  });

  it("reports an unreadable local file as a ConfigError naming the path", async () => {
    // Prepare
    const { resolver } = harness({
      localMode: true,
      readLocalFile: async () => {
        throw Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
      },
    });

    // Act
    const result = resolver.resolve({ cluster: { type: "kubeconfig", source: "file:/nope" } });

    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toThrow("/nope");
  });
});
