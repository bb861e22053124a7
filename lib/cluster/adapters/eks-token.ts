/**
 * EKS bearer tokens, made the way aws-iam-authenticator (and `aws eks get-token`) makes them:
 * `k8s-aws-v1.` + base64url-without-padding of a presigned STS `GetCallerIdentity` GET URL whose
 * SigV4 signature covers the header `x-k8s-aws-id: <cluster name>`. The EKS authenticator
 * replays that URL against STS (adding the header) to learn who signed it, and refuses tokens
 * that did not sign the header, so a token minted for one cluster is useless against another.
 *
 * Expiry rule (kubernetes-sigs/aws-iam-authenticator, pkg/token/token.go, constants
 * `requestPresignParam = 60` and `presignedURLExpiration = 15 * time.Minute`, and `Verify`):
 * STS ignores `X-Amz-Expires` for these URLs; the server accepts a token until exactly
 * 15 minutes after its `X-Amz-Date`, and separately rejects `X-Amz-Expires` outside 0..900.
 * Clients send `X-Amz-Expires=60` for compatibility with authenticators ≤ 0.3.0, which
 * required 0..60. The signature is also only as good as the signing credentials: temporary
 * credentials that expire earlier end the token's life earlier.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { ConfigError } from "../../errors.ts";

/** AWS credentials; structurally compatible with the SDK's `AwsCredentialIdentity`. */
export type AwsCredentials = {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  /** When temporary credentials stop working. */
  readonly expiration?: Date | undefined;
};

/** A credentials source such as the SDK's `fromNodeProviderChain()`; it caches and refreshes itself. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/**
 * The same credentials as the AWS SDK's clients take them (no `undefined` members), resolved on
 * each call: the SDK caches what a provider returns until 5 minutes before its `expiration`.
 */
export function sdkCredentialsOf(credentials: AwsCredentials | AwsCredentialsProvider) {
  return async () => {
    const c = typeof credentials === "function" ? await credentials() : credentials;
    return {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
      ...(c.expiration === undefined ? {} : { expiration: c.expiration }),
    };
  };
}

/** A bearer token for one EKS cluster and the instant the EKS authenticator stops accepting it. */
export type EksToken = { readonly token: string; readonly expiresAt: Date };

export type CreateEksTokenOptions = {
  /** EKS cluster name, signed as `x-k8s-aws-id`. */
  clusterName: string;
  /** Region of the STS endpoint that is presigned (the cluster's region). */
  region: string;
  credentials: AwsCredentials | AwsCredentialsProvider;
  /** Signing time; becomes `X-Amz-Date` (whole seconds). */
  now: Date;
  /** `X-Amz-Expires`; ignored by STS, kept at 60 like aws-iam-authenticator. */
  expiresInSeconds?: number;
};

export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";
const CLUSTER_ID_HEADER = "x-k8s-aws-id";
/** How long the EKS authenticator accepts a token after its `X-Amz-Date`. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;
/** What aws-iam-authenticator sends as `X-Amz-Expires`. */
const DEFAULT_PRESIGN_EXPIRES_SECONDS = 60;
/** The authenticator refuses `X-Amz-Expires` above this. */
const MAX_PRESIGN_EXPIRES_SECONDS = 900;

const STS_API_VERSION = "2011-06-15";
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The regional STS host the token is presigned for (China regions live under `amazonaws.com.cn`). */
function stsHostname(region: string): string {
  if (!REGION_PATTERN.test(region)) {
    throw new ConfigError("cluster.region", `"${region}" is not an AWS region name`);
  }
  return `sts.${region}.${region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"}`;
}

/** Creates a bearer token for an EKS cluster (no network call: presigning is local). */
export async function createEksToken(options: CreateEksTokenOptions): Promise<EksToken> {
  const { clusterName, region, now } = options;
  const expiresIn = options.expiresInSeconds ?? DEFAULT_PRESIGN_EXPIRES_SECONDS;
  if (clusterName.length === 0) throw new ConfigError("cluster.name", "must not be empty");
  if (!Number.isInteger(expiresIn) || expiresIn < 0 || expiresIn > MAX_PRESIGN_EXPIRES_SECONDS) {
    throw new ConfigError("expiresInSeconds", `must be an integer in 0..${MAX_PRESIGN_EXPIRES_SECONDS}`);
  }
  const hostname = stsHostname(region);
  // Resolved here rather than by the signer, because the credentials' own expiry bounds the token's.
  const credentials =
    typeof options.credentials === "function" ? await options.credentials() : options.credentials;

  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  const signer = new SignatureV4({
    service: "sts",
    region,
    credentials: sessionToken
      ? { accessKeyId, secretAccessKey, sessionToken }
      : { accessKeyId, secretAccessKey },
    sha256: Sha256,
  });
  // `x-k8s-aws-id` does not start with `x-amz-`, so the presigner keeps it as a signed header
  // instead of hoisting it into the query: SignedHeaders becomes `host;x-k8s-aws-id`.
  const presigned = await signer.presign(
    {
      method: "GET",
      protocol: "https:",
      hostname,
      path: "/",
      query: { Action: "GetCallerIdentity", Version: STS_API_VERSION },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: clusterName },
    },
    { signingDate: now, expiresIn },
  );

  const url = `https://${hostname}/?${encodeQuery(presigned.query ?? {})}`;
  const signedAt = Math.floor(now.getTime() / 1000) * 1000;
  const serverExpiry = signedAt + EKS_TOKEN_LIFETIME_MS;
  const credentialsExpiry = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, "utf8").toString("base64url"),
    expiresAt: new Date(Math.min(serverExpiry, credentialsExpiry)),
  };
}

/** Sorted, RFC 3986-encoded query string (the encoding SigV4 canonicalises to). */
function encodeQuery(query: Record<string, string | null | Array<string | null>>): string {
  const pairs: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v !== null && v !== undefined) pairs.push(`${rfc3986(key)}=${rfc3986(v)}`);
    }
  }
  return pairs.join("&");
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
