import { describe, expect, it } from "vitest";
import {
  type AwsCredentials,
  type CreateEksTokenOptions,
  createEksToken,
  EKS_TOKEN_PREFIX,
  type EksToken,
} from "../../../lib/cluster/adapters/eks-token.ts";
import { createEksTokenCache, type EksTokenCacheOptions } from "../../../lib/cluster/eks-token-cache.ts";

const CREDENTIALS: AwsCredentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const T0 = Date.parse("2024-01-02T03:04:05.000Z");
const MINUTE = 60_000;
const CLUSTER = { clusterName: "prod-eu", region: "eu-west-1" };

/** A settable clock and a token factory that counts the tokens it really creates. */
function harness(overrides: Partial<EksTokenCacheOptions> = {}) {
  const clock = { now: T0 };
  const created: CreateEksTokenOptions[] = [];
  const cache = createEksTokenCache({
    credentials: CREDENTIALS,
    now: () => new Date(clock.now),
    createToken: (options) => {
      created.push(options);
      return createEksToken(options);
    },
    ...overrides,
  });
  return { clock, created, cache };
}

function amzDateOf(token: EksToken): string | null {
  const url = new URL(Buffer.from(token.token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8"));
  return url.searchParams.get("X-Amz-Date");
}

describe("createEksTokenCache", () => {
  it("reuses a token until a minute before its 15-minute expiry", async () => {
    // Prepare
    const { clock, created, cache } = harness();
    const first = await cache.get(CLUSTER);

    // Act
    clock.now = T0 + 14 * MINUTE - 1;
    const reused = await cache.get(CLUSTER);

    // Assess
    expect(reused).toBe(first);
    expect(created).toHaveLength(1);
    expect(first.expiresAt.getTime()).toBe(T0 + 15 * MINUTE);
  });

  it("renews the token once inside the refresh margin, signed at the new time", async () => {
    // Prepare
    const { clock, created, cache } = harness();
    const first = await cache.get(CLUSTER);

    // Act
    clock.now = T0 + 14 * MINUTE;
    const renewed = await cache.get(CLUSTER);

    // Assess
    expect(created).toHaveLength(2);
    expect(renewed.token).not.toBe(first.token);
    expect(amzDateOf(renewed)).toBe("20240102T031805Z");
    expect(renewed.expiresAt.getTime()).toBe(T0 + 29 * MINUTE);
  });

  it("honours a custom refresh margin", async () => {
    // Prepare
    const { clock, created, cache } = harness({ refreshBeforeExpiryMs: 5 * MINUTE });
    await cache.get(CLUSTER);

    // Act
    clock.now = T0 + 10 * MINUTE;
    await cache.get(CLUSTER);

    // Assess
    expect(created).toHaveLength(2);
  });

  it("keeps one token per region and cluster", async () => {
    // Prepare
    const { created, cache } = harness();

    // Act
    const tokens = await Promise.all([
      cache.get(CLUSTER),
      cache.get({ clusterName: "prod-us", region: "eu-west-1" }),
      cache.get({ clusterName: "prod-eu", region: "us-east-1" }),
      cache.get(CLUSTER),
    ]);

    // Assess
    expect(created.map((c) => `${c.region}/${c.clusterName}`)).toEqual([
      "eu-west-1/prod-eu",
      "eu-west-1/prod-us",
      "us-east-1/prod-eu",
    ]);
    expect(tokens[3]).toBe(tokens[0]);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(3);
  });

  it("shares one creation between concurrent callers", async () => {
    // Prepare
    const { created, cache } = harness();

    // Act
    const [a, b] = await Promise.all([cache.get(CLUSTER), cache.get(CLUSTER)]);

    // Assess
    expect(created).toHaveLength(1);
    expect(b).toBe(a);
  });

  it("does not remember a failed creation", async () => {
    // Prepare
    let calls = 0;
    const { cache } = harness({
      createToken: async (options) => {
        calls += 1;
        if (calls === 1) throw new Error("credentials provider unavailable");
        return createEksToken(options);
      },
    });
    await expect(cache.get(CLUSTER)).rejects.toThrow("credentials provider unavailable");

    // Act
    const token = await cache.get(CLUSTER);

    // Assess
    expect(token.token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
    expect(calls).toBe(2);
  });

  it("renews early when the signing credentials expire before the token would", async () => {
    // Prepare: temporary credentials that expire 5 minutes after T0, then fresh ones
    const credentialSets: AwsCredentials[] = [
      { ...CREDENTIALS, sessionToken: "first", expiration: new Date(T0 + 5 * MINUTE) },
      { ...CREDENTIALS, sessionToken: "second", expiration: new Date(T0 + 60 * MINUTE) },
    ];
    let resolved = 0;
    const { clock, created, cache } = harness({
      credentials: async () => credentialSets[resolved++] ?? CREDENTIALS,
    });
    const first = await cache.get(CLUSTER);

    // Act
    clock.now = T0 + 4 * MINUTE;
    const renewed = await cache.get(CLUSTER);

    // Assess
    expect(first.expiresAt.getTime()).toBe(T0 + 5 * MINUTE);
    expect(created).toHaveLength(2);
    expect(renewed.expiresAt.getTime()).toBe(T0 + 19 * MINUTE);
  });

  it("keeps one token per identity: one cluster name and region in two accounts, each signed by its role", async () => {
    // Prepare
    const { created, cache } = harness();
    const role = (account: string) => ({
      key: `arn:aws:iam::${account}:role/deployer`,
      credentials: async () => ({
        accessKeyId: `ASIA${account}`,
        secretAccessKey: "secret",
        sessionToken: "t",
      }),
    });

    // Act
    const own = await cache.get(CLUSTER);
    const first = await cache.get({ ...CLUSTER, identity: role("111111111111") });
    const second = await cache.get({ ...CLUSTER, identity: role("222222222222") });
    const again = await cache.get({ ...CLUSTER, identity: role("111111111111") });

    // Assess
    const keyOf = (t: EksToken) =>
      new URL(Buffer.from(t.token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8")).searchParams
        .get("X-Amz-Credential")
        ?.split("/")[0];
    expect([own, first, second].map(keyOf)).toEqual(["AKIDEXAMPLE", "ASIA111111111111", "ASIA222222222222"]);
    expect(again).toBe(first);
    expect(created).toHaveLength(3);
  });
});
