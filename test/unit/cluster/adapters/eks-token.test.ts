import { describe, expect, it } from "vitest";
import {
  type AwsCredentials,
  type CreateEksTokenOptions,
  createEksToken,
  EKS_TOKEN_LIFETIME_MS,
  EKS_TOKEN_PREFIX,
} from "../../../../lib/cluster/adapters/eks-token.ts";
import { ConfigError } from "../../../../lib/errors.ts";
import {
  canonicalRequest,
  expectedPresignedSignature,
  sha256Hex,
  sigV4Signature,
  verifyHeaderSignature,
} from "../../../support/sigv4.ts";

// The access key id and secret of the AWS SigV4 test suite.
const TEST_CREDENTIALS: AwsCredentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const NOW = new Date("2024-01-02T03:04:05.678Z");

function tokenOptions(overrides: Partial<CreateEksTokenOptions> = {}): CreateEksTokenOptions {
  return {
    clusterName: "prod-eu",
    region: "eu-west-1",
    credentials: TEST_CREDENTIALS,
    now: NOW,
    ...overrides,
  };
}

/** Reverses the token encoding the way the EKS authenticator does. */
function decodeToken(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), "base64url").toString("utf8"));
}

describe("independent SigV4 verifier (test helper)", () => {
  it("reproduces the AWS SigV4 test suite vector get-vanilla-query-order-key-case", () => {
    // Prepare: the suite's request, GET /?Param2=value2&Param1=value1 at 20150830T123600Z
    const request = canonicalRequest({
      method: "GET",
      path: "/",
      query: [
        ["Param2", "value2"],
        ["Param1", "value1"],
      ],
      headers: { host: "example.amazonaws.com", "x-amz-date": "20150830T123600Z" },
      signedHeaders: ["host", "x-amz-date"],
      payloadHash: sha256Hex(""),
    });

    // Act
    const signature = sigV4Signature({
      secretAccessKey: TEST_CREDENTIALS.secretAccessKey,
      amzDate: "20150830T123600Z",
      scope: "20150830/us-east-1/service/aws4_request",
      canonicalRequest: request,
    });

    // Assess: the suite's published .authz signature
    expect(signature).toBe("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
  });
});

describe("independent SigV4 verifier, header form (test helper)", () => {
  it("accepts the AWS SigV4 test suite vector get-vanilla and refuses it with another secret", () => {
    // Prepare: the suite's request and its published Authorization header
    const request = {
      method: "GET",
      url: "/",
      headers: {
        host: "example.amazonaws.com",
        "x-amz-date": "20150830T123600Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
      },
      body: Buffer.alloc(0),
    };

    // Act
    const valid = verifyHeaderSignature({ ...request, secretAccessKey: TEST_CREDENTIALS.secretAccessKey });
    const forged = verifyHeaderSignature({ ...request, secretAccessKey: "not-the-secret" });

    // Assess
    expect([valid, forged]).toEqual([true, false]);
  });
});

describe("createEksToken", () => {
  it("is k8s-aws-v1. followed by base64url without padding of an https STS URL", async () => {
    // Prepare
    const options = tokenOptions();

    // Act
    const { token } = await createEksToken(options);

    // Assess
    const body = token.slice(EKS_TOKEN_PREFIX.length);
    expect(token.startsWith("k8s-aws-v1.")).toBe(true);
    expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decodeToken(token);
    expect(url.protocol).toBe("https:");
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe("/");
  });

  it("presigns GetCallerIdentity with the injected clock, a 60 s X-Amz-Expires and the cluster header signed", async () => {
    // Prepare
    const options = tokenOptions();

    // Act
    const url = decodeToken((await createEksToken(options)).token);

    // Assess
    const query = Object.fromEntries(url.searchParams.entries());
    expect(query).toEqual({
      Action: "GetCallerIdentity",
      Version: "2011-06-15",
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": "AKIDEXAMPLE/20240102/eu-west-1/sts/aws4_request",
      "X-Amz-Date": "20240102T030405Z",
      "X-Amz-Expires": "60",
      "X-Amz-SignedHeaders": "host;x-k8s-aws-id",
      "X-Amz-Signature": expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("carries a signature that an independent SigV4 check accepts for this cluster only", async () => {
    // Prepare
    const url = decodeToken((await createEksToken(tokenOptions())).token);
    const actual = url.searchParams.get("X-Amz-Signature");

    // Act
    const forThisCluster = expectedPresignedSignature(url, TEST_CREDENTIALS.secretAccessKey, {
      "x-k8s-aws-id": "prod-eu",
    });
    const forAnotherCluster = expectedPresignedSignature(url, TEST_CREDENTIALS.secretAccessKey, {
      "x-k8s-aws-id": "staging-eu",
    });
    const withAnotherSecret = expectedPresignedSignature(url, "not-the-secret", {
      "x-k8s-aws-id": "prod-eu",
    });

    // Assess
    expect(actual).toBe(forThisCluster);
    expect(actual).not.toBe(forAnotherCluster);
    expect(actual).not.toBe(withAnotherSecret);
  });

  it("includes the session token of temporary credentials in the signed query", async () => {
    // Prepare
    const sessionToken = "FwoGZXIvYXdzEXAMPLE/session+token==";
    const credentials = async (): Promise<AwsCredentials> => ({ ...TEST_CREDENTIALS, sessionToken });

    // Act
    const url = decodeToken((await createEksToken(tokenOptions({ credentials }))).token);

    // Assess
    expect(url.searchParams.get("X-Amz-Security-Token")).toBe(sessionToken);
    expect(url.searchParams.get("X-Amz-Signature")).toBe(
      expectedPresignedSignature(url, TEST_CREDENTIALS.secretAccessKey, { "x-k8s-aws-id": "prod-eu" }),
    );
  });

  it("uses only query parameters the EKS authenticator allows", async () => {
    // Prepare: aws-iam-authenticator refuses any parameter outside this list
    const allowed = new Set([
      "action",
      "version",
      "x-amz-algorithm",
      "x-amz-credential",
      "x-amz-date",
      "x-amz-expires",
      "x-amz-security-token",
      "x-amz-signature",
      "x-amz-signedheaders",
    ]);
    const credentials = { ...TEST_CREDENTIALS, sessionToken: "session" };

    // Act
    const url = decodeToken((await createEksToken(tokenOptions({ credentials }))).token);

    // Assess
    const names = [...url.searchParams.keys()].map((name) => name.toLowerCase());
    expect(names.filter((name) => !allowed.has(name))).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
  });

  it("expires 15 minutes after X-Amz-Date, whatever X-Amz-Expires says", async () => {
    // Prepare
    const options = tokenOptions({ expiresInSeconds: 900 });

    // Act
    const { token, expiresAt } = await createEksToken(options);

    // Assess
    expect(decodeToken(token).searchParams.get("X-Amz-Expires")).toBe("900");
    expect(expiresAt.toISOString()).toBe("2024-01-02T03:19:05.000Z");
    expect(expiresAt.getTime() - Date.parse("2024-01-02T03:04:05Z")).toBe(EKS_TOKEN_LIFETIME_MS);
  });

  it("expires with the signing credentials when they expire first", async () => {
    // Prepare
    const expiration = new Date("2024-01-02T03:10:00.000Z");
    const credentials = { ...TEST_CREDENTIALS, sessionToken: "session", expiration };

    // Act
    const { expiresAt } = await createEksToken(tokenOptions({ credentials }));

    // Assess
    expect(expiresAt).toEqual(expiration);
  });

  it("presigns for the China partition's STS host in cn- regions", async () => {
    // Prepare
    const options = tokenOptions({ region: "cn-north-1" });

    // Act
    const url = decodeToken((await createEksToken(options)).token);

    // Assess
    expect(url.host).toBe("sts.cn-north-1.amazonaws.com.cn");
    expect(url.searchParams.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20240102/cn-north-1/sts/aws4_request");
    expect(url.searchParams.get("X-Amz-Signature")).toBe(
      expectedPresignedSignature(url, TEST_CREDENTIALS.secretAccessKey, { "x-k8s-aws-id": "prod-eu" }),
    );
  });

  it.each([
    ["a region that is not a region name", { region: "evil.example.com/x" }, "cluster.region"],
    ["an empty cluster name", { clusterName: "" }, "cluster.name"],
    ["X-Amz-Expires beyond what the authenticator accepts", { expiresInSeconds: 901 }, "expiresInSeconds"],
  ] as const)("refuses %s", async (_, overrides, field) => {
    // Prepare
    const options = tokenOptions(overrides);

    // Act
    const result = createEksToken(options);

    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toMatchObject({ field, retryable: false });
  });
});
